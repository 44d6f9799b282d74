//! Images area: the `docker.images()` collection, docker-py's `Image` object and
//! `RegistryData`.
//!
//! Registry operations (pull, push, registry data) send the credentials of the
//! image's registry from the client's [`AuthStore`] unless the options carry an
//! `X-Registry-Auth` value already.

use super::id_of;
use std::collections::HashMap;

use berth_core::api::images::{
    DeleteEntry, DistributionInspectOp, ImageHistory, ImageImport, ImageInspectOp, ImageList,
    ImageLoad, ImagePrune, ImagePull, ImagePush, ImageRemove, ImageSave, ImageSearch, ImageTag,
    ImportSource, Platform, ProgressAggregator, image_not_found, parse_repository_tag,
};
use berth_core::model::Typed;
use berth_core::models::{
    CreateImageInfo, DistributionInspect, ImageHistoryResponseItem, ImageInspect,
    ImagePruneResponse, ImageSearchResponseItem, ImageSummary, OciPlatform,
};
use futures_util::StreamExt;
use serde_json::Value;

use super::Docker;
pub use super::auth::AuthStore;
use super::run::PullStream;
use crate::error::{Error, Result};
use crate::transport::{ByteStream, ResponseBody};

/// The progress stream of a push (the same items as a pull's).
pub type PushStream = PullStream;

impl Docker {
    /// The images of this daemon (docker-py's `client.images`).
    ///
    /// ```no_run
    /// # async fn demo(docker: berth::Docker) -> berth::Result<()> {
    /// let image = docker.images().get("busybox:berth-test").await?;
    /// println!("{} {:?}", image.short_id(), image.tags());
    /// # Ok(()) }
    /// ```
    pub fn images(&self) -> Images {
        Images {
            docker: self.clone(),
        }
    }
}

/// A `NotFound` about a named image is an `ImageNotFound`.
fn image_404(e: Error) -> Error {
    if matches!(e.kind(), berth_core::Error::NotFound(_)) {
        image_not_found(e.into_kind()).into()
    } else {
        e
    }
}

/// The images collection.
#[derive(Debug, Clone)]
pub struct Images {
    docker: Docker,
}

impl Images {
    /// `GET /images/json`: summaries of the local images.
    pub async fn list(&self, options: &ImageList) -> Result<Vec<Typed<ImageSummary>>> {
        self.docker.execute(options).await
    }

    /// docker-py's `images(quiet=True)`: only the ids.
    pub async fn list_ids(&self, options: &ImageList) -> Result<Vec<String>> {
        Ok(self
            .list(options)
            .await?
            .into_iter()
            .map(|i| i.into_typed().id)
            .collect())
    }

    /// `GET /images/{name}/json`: the image with this id, name or digest (unknown →
    /// [`Category::ImageNotFound`](crate::Category::ImageNotFound)).
    pub async fn get(&self, name: &str) -> Result<Image> {
        let attrs = self.docker.image_inspect(name).await?;
        Image::from_inspect(self.docker.clone(), attrs)
    }

    /// Fills in the client's credentials for `image` unless `given` has a value.
    async fn auth(&self, given: &Option<String>, image: &str) -> Result<String> {
        match given {
            Some(a) => Ok(a.clone()),
            None => self.docker.registry_auth(image).await,
        }
    }

    /// `POST /images/create?fromImage=`: pulls, yielding per-layer progress; fold the
    /// items with [`ProgressAggregator`]. An error inside the stream ends it with
    /// [`Category::Stream`](crate::Category::Stream); a missing repository or tag is
    /// [`Category::ImageNotFound`](crate::Category::ImageNotFound) before it starts.
    /// Drain the stream: dropping it early cancels the pull (edge case 133).
    pub async fn pull(&self, options: &ImagePull) -> Result<PullStream> {
        let mut options = options.clone();
        options.registry_auth = Some(self.auth(&options.registry_auth, &options.image).await?);
        self.docker.stream(&options).await.map_err(image_404)
    }

    /// docker-py's `images.pull`: pulls to the end, handing every progress item to
    /// `progress`, then returns the pulled image. One image: with `all_tags` set this
    /// is an invalid argument (nothing is pulled); use [`Images::pull_all_tags`].
    pub async fn pull_image(
        &self,
        options: &ImagePull,
        progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<Image> {
        if options.all_tags {
            return Err(berth_core::Error::InvalidArgument(
                "pull_image returns one image; pull every tag with pull_all_tags".into(),
            )
            .into());
        }
        self.pull_to_end_of(options, progress).await?;
        self.get(&options.reference()).await
    }

    /// docker-py's `images.pull(all_tags=True)`: pulls every tag of `options.image`'s
    /// repository (its tag, if any, is an error as for the pull itself), then returns
    /// the repository's local images, each inspected (docker-py's `images.list(repo)`).
    pub async fn pull_all_tags(
        &self,
        options: &ImagePull,
        progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<Vec<Image>> {
        let mut options = options.clone();
        options.all_tags = true;
        self.pull_to_end_of(&options, progress).await?;
        let (repo, _) = parse_repository_tag(&options.image);
        let ids = self
            .list_ids(&ImageList {
                name: Some(repo.to_owned()),
                ..ImageList::default()
            })
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self.get(&id).await {
                Ok(image) => out.push(image),
                // Removed since the list: not pulled any more.
                Err(e) if e.category() == crate::Category::ImageNotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn pull_to_end_of(
        &self,
        options: &ImagePull,
        mut progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<()> {
        let mut s = self.pull(options).await?;
        while let Some(item) = s.next().await {
            progress(&item?);
        }
        Ok(())
    }

    /// `POST /images/{name}/push`: pushes, yielding progress. Registry failures (no or
    /// wrong credentials, denied) end the stream with
    /// [`Category::Stream`](crate::Category::Stream).
    pub async fn push(&self, options: &ImagePush) -> Result<PushStream> {
        let mut options = options.clone();
        options.registry_auth = Some(self.auth(&options.registry_auth, &options.image).await?);
        self.docker.stream(&options).await.map_err(image_404)
    }

    /// Pushes to the end, handing every item to `progress`; returns the folded progress
    /// (its [`digest`](ProgressAggregator::digest) is the pushed manifest's).
    pub async fn push_to_end(
        &self,
        options: &ImagePush,
        mut progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<ProgressAggregator> {
        let mut s = self.push(options).await?;
        let mut agg = ProgressAggregator::new();
        while let Some(item) = s.next().await {
            let item = item?;
            agg.update_typed(&item);
            progress(&item);
        }
        Ok(agg)
    }

    /// `DELETE /images/{name}`: what was untagged and deleted.
    pub async fn remove(&self, options: &ImageRemove) -> Result<Vec<DeleteEntry>> {
        self.docker.execute(options).await
    }

    /// `POST /images/prune`.
    pub async fn prune(&self, options: &ImagePrune) -> Result<Typed<ImagePruneResponse>> {
        self.docker.execute(options).await
    }

    /// `GET /images/search`. Registries without the v1 search API make the daemon
    /// answer an error ([`Category::Server`](crate::Category::Server) on 20.10).
    pub async fn search(
        &self,
        options: &ImageSearch,
    ) -> Result<Vec<Typed<ImageSearchResponseItem>>> {
        self.docker.execute(options).await
    }

    /// `POST /images/load`: loads a `docker save` tarball streamed from `tar` (e.g.
    /// [`reader_stream`](crate::transport::reader_stream) of a file); returns the
    /// loaded names (`repo:tag`) and, for images saved by id, ids. A failure the daemon
    /// reports inside its answer is [`Category::Stream`](crate::Category::Stream).
    pub async fn load(&self, tar: ByteStream) -> Result<Vec<String>> {
        self.docker.upload(&ImageLoad { quiet: true }, tar).await
    }

    /// `POST /images/create?fromSrc=`: an image from a root filesystem tarball —
    /// `tar` for [`ImportSource::Upload`], `None` for [`ImportSource::Url`]. Returns the
    /// new image's id.
    pub async fn import(&self, options: &ImageImport, tar: Option<ByteStream>) -> Result<String> {
        match (&options.source, tar) {
            (ImportSource::Upload, Some(tar)) => self.docker.upload(options, tar).await,
            (ImportSource::Upload, None) => Err(berth_core::Error::InvalidArgument(
                "import: an upload needs the tarball; pass it, or import from a URL".into(),
            )
            .into()),
            (ImportSource::Url(_), None) => self.docker.execute(options).await,
            (ImportSource::Url(_), Some(_)) => Err(berth_core::Error::InvalidArgument(
                "import: a URL import takes no tarball".into(),
            )
            .into()),
        }
    }

    /// `GET /images/{name}/get` or `GET /images/get?names=…`: the images as one
    /// `docker save` tarball, streamed with backpressure (write it out chunk by chunk).
    pub async fn save(&self, names: &[&str]) -> Result<ResponseBody> {
        let save = ImageSave {
            names: names.iter().map(|n| (*n).to_owned()).collect(),
        };
        let ((), body) = self.docker.download(&save).await.map_err(image_404)?;
        Ok(body)
    }

    /// `GET /distribution/{name}/json`: the image's digest and platforms in its
    /// registry (docker-py's `get_registry_data`), with the client's credentials.
    pub async fn registry_data(&self, name: &str) -> Result<RegistryData> {
        let op = DistributionInspectOp {
            name: name.to_owned(),
            registry_auth: Some(self.docker.registry_auth(name).await?),
        };
        let attrs = self.docker.execute(&op).await?;
        Ok(RegistryData {
            docker: self.docker.clone(),
            name: name.to_owned(),
            attrs,
        })
    }
}

/// Which name [`Image::save`] saves an image under (docker-py's `named`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SaveName {
    /// By id: the tarball carries no names.
    #[default]
    Id,
    /// By its first tag (by id when it has none).
    FirstTag,
    /// By this tag, which must be one of the image's (checked before any request,
    /// edge case 143).
    Tag(String),
}

/// An image, as docker-py's `Image` model: the inspect answer at the time it was
/// fetched ([`attrs`](Image::attrs), refreshed by [`reload`](Image::reload)) and the
/// operations on it.
#[derive(Debug, Clone)]
pub struct Image {
    docker: Docker,
    id: String,
    attrs: Typed<ImageInspect>,
}

impl Image {
    /// An image object from an inspect answer.
    pub fn from_inspect(docker: Docker, attrs: Typed<ImageInspect>) -> Result<Image> {
        let id = id_of(&attrs, |t| t.id.as_deref(), "Id", "image inspect")?;
        Ok(Image { docker, id, attrs })
    }

    /// The full id (`sha256:…`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// docker-py's `short_id`: `sha256:` and 12 hex digits (19 characters, edge case
    /// 144), or the first 12 characters of an id without the prefix.
    pub fn short_id(&self) -> &str {
        let len = if self.id.starts_with("sha256:") {
            19
        } else {
            12
        };
        self.id.get(..len).unwrap_or(&self.id)
    }

    /// The image's names (`RepoTags`), without the `<none>:<none>` placeholder;
    /// empty for an untagged image (`RepoTags` null).
    pub fn tags(&self) -> Vec<String> {
        self.attrs
            .attrs
            .get("RepoTags")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "<none>:<none>")
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `Config.Labels` (empty when none).
    pub fn labels(&self) -> HashMap<String, String> {
        self.attrs
            .attrs
            .get("Config")
            .and_then(|c| c.get("Labels"))
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default()
    }

    /// The inspect answer (raw JSON in `.attrs`, typed view by `Deref`).
    pub fn attrs(&self) -> &Typed<ImageInspect> {
        &self.attrs
    }

    /// The client this image belongs to.
    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// Inspects the image again (by id).
    pub async fn reload(&mut self) -> Result<()> {
        self.attrs = self
            .docker
            .execute(&ImageInspectOp {
                name: self.id.clone(),
            })
            .await?;
        Ok(())
    }

    /// `GET /images/{id}/history`: the layers, newest first.
    pub async fn history(&self) -> Result<Vec<Typed<ImageHistoryResponseItem>>> {
        self.docker
            .execute(&ImageHistory {
                name: self.id.clone(),
            })
            .await
    }

    /// `POST /images/{id}/tag`: names the image `repository[:tag]` (`tag` overrides a
    /// tag in `repository`; neither → `latest`). The stored answer is not refreshed.
    pub async fn tag(&self, repository: &str, tag: Option<&str>) -> Result<()> {
        self.docker
            .execute(&ImageTag {
                image: self.id.clone(),
                repo: repository.to_owned(),
                tag: tag.map(str::to_owned),
                force: false,
            })
            .await
    }

    /// The name [`save`](Image::save) will use.
    pub fn save_name(&self, named: &SaveName) -> Result<String> {
        match named {
            SaveName::Id => Ok(self.id.clone()),
            SaveName::FirstTag => Ok(self
                .tags()
                .into_iter()
                .next()
                .unwrap_or_else(|| self.id.clone())),
            SaveName::Tag(t) => {
                if self.tags().iter().any(|have| have == t) {
                    Ok(t.clone())
                } else {
                    Err(berth_core::Error::InvalidArgument(format!(
                        "image {} is not tagged {t:?} (its tags: {:?}); save it under one of \
                         its tags, or by id",
                        self.short_id(),
                        self.tags()
                    ))
                    .into())
                }
            }
        }
    }

    /// `GET /images/{name}/get`: the image as a `docker save` tarball, streamed.
    pub async fn save(&self, named: &SaveName) -> Result<ResponseBody> {
        let name = self.save_name(named)?;
        self.docker.images().save(&[&name]).await
    }

    /// `DELETE /images/{id}`. By id, an image with several names needs `force`.
    pub async fn remove(&self, force: bool, noprune: bool) -> Result<Vec<DeleteEntry>> {
        self.docker
            .execute(&ImageRemove {
                name: self.id.clone(),
                force,
                noprune,
            })
            .await
    }
}

/// What a registry says about an image (docker-py's `RegistryData`).
#[derive(Debug, Clone)]
pub struct RegistryData {
    docker: Docker,
    name: String,
    attrs: Typed<DistributionInspect>,
}

impl RegistryData {
    /// The name it was asked for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The manifest (or manifest list) digest, `sha256:…`.
    pub fn digest(&self) -> Option<&str> {
        self.attrs.descriptor.digest.as_deref()
    }

    /// docker-py's `id`: the digest.
    pub fn id(&self) -> Option<&str> {
        self.digest()
    }

    /// The platforms the image exists for.
    pub fn platforms(&self) -> &[OciPlatform] {
        &self.attrs.platforms
    }

    /// The answer (raw JSON in `.attrs`).
    pub fn attrs(&self) -> &Typed<DistributionInspect> {
        &self.attrs
    }

    /// Asks the registry again.
    pub async fn reload(&mut self) -> Result<()> {
        *self = self.docker.images().registry_data(&self.name).await?;
        Ok(())
    }

    /// Whether the image exists for `platform` (`os[/arch[/variant]]`; a missing os or
    /// architecture is the daemon's, from `/version`).
    pub async fn has_platform(&self, platform: &str) -> Result<bool> {
        let p = Platform::parse(platform)?;
        let p = if p.os.is_some() && p.architecture.is_some() {
            p
        } else {
            let v = self.docker.version().await?;
            p.or_daemon(
                v.os.as_deref().unwrap_or("linux"),
                v.arch.as_deref().unwrap_or(""),
            )
        };
        Ok(self.platforms().iter().any(|have| p.matches(have)))
    }

    /// Pulls exactly this digest (`repo@sha256:…`, edge case 131).
    pub async fn pull(&self, platform: Option<&str>) -> Result<Image> {
        let (repo, _) = parse_repository_tag(&self.name);
        let digest = self.digest().ok_or_else(|| {
            Error::from(berth_core::Error::Decode(
                "registry data has no digest".into(),
            ))
        })?;
        let options = ImagePull {
            image: repo.to_owned(),
            tag: Some(digest.to_owned()),
            platform: platform.map(str::to_owned),
            registry_auth: None,
            all_tags: false,
        };
        self.docker.images().pull_image(&options, |_| {}).await
    }
}
