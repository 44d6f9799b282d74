//! Images: the `docker.images()` collection.

use berth_core::api::images::{
    DeleteEntry, ImageInspectOp, ImageList, ImagePrune, ImagePull, ImagePush, ImageRemove,
    ImageTag, ProgressDecoder, image_not_found,
};
use berth_core::models::{CreateImageInfo, ImageInspect, ImagePruneResponse, ImageSummary};
use berth_core::{Result, Typed};

use crate::client::{Docker, Stream};

impl Docker {
    /// The images of the daemon.
    pub fn images(&self) -> Images<'_> {
        Images { docker: self }
    }
}

/// The images collection.
#[derive(Debug, Clone, Copy)]
pub struct Images<'a> {
    docker: &'a Docker,
}

impl Images<'_> {
    /// `GET /images/json`.
    pub fn list(&self, options: &ImageList) -> Result<Vec<Typed<ImageSummary>>> {
        self.docker.execute(options)
    }

    /// `GET /images/{name}/json` (unknown → [`Error::ImageNotFound`](crate::Error)).
    pub fn get(&self, name: &str) -> Result<Typed<ImageInspect>> {
        self.docker
            .execute(&ImageInspectOp {
                name: name.to_owned(),
            })
            .map_err(image_not_found)
    }

    /// `POST /images/create?fromImage=`: an iterator over the pull's progress. A failed
    /// pull ends it with an [`Error::Stream`](crate::Error::Stream).
    pub fn pull(&self, options: &ImagePull) -> Result<Stream<ProgressDecoder>> {
        self.docker.stream(options).map_err(image_not_found)
    }

    /// Pulls and reads the progress to the end; the last progress item.
    pub fn pull_to_end(&self, options: &ImagePull) -> Result<Option<Typed<CreateImageInfo>>> {
        let mut last = None;
        for item in self.pull(options)? {
            last = Some(item?);
        }
        Ok(last)
    }

    /// `POST /images/{name}/push`: an iterator over the push's progress.
    pub fn push(&self, options: &ImagePush) -> Result<Stream<ProgressDecoder>> {
        self.docker.stream(options)
    }

    /// `POST /images/{name}/tag`: tags `image` as `repo[:tag]`.
    pub fn tag(&self, image: &str, repo: &str, tag: Option<&str>) -> Result<()> {
        self.docker.execute(&ImageTag {
            image: image.to_owned(),
            repo: repo.to_owned(),
            tag: tag.map(str::to_owned),
            force: false,
        })
    }

    /// `DELETE /images/{name}`.
    pub fn remove(&self, name: &str, force: bool, noprune: bool) -> Result<Vec<DeleteEntry>> {
        self.docker.execute(&ImageRemove {
            name: name.to_owned(),
            force,
            noprune,
        })
    }

    /// `POST /images/prune`.
    pub fn prune(&self, options: &ImagePrune) -> Result<Typed<ImagePruneResponse>> {
        self.docker.execute(options)
    }
}
