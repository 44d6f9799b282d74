//! Blocking images area and registry credentials: [`crate::Images`], [`crate::Image`],
//! [`crate::RegistryData`] and login on the blocking client's runtime.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::sync::Arc;

use berth_core::api::images::{
    DeleteEntry, ImageImport, ImageList, ImagePrune, ImagePull, ImagePush, ImageRemove,
    ImageSearch, ProgressAggregator, ProgressDecoder,
};
use berth_core::auth::AuthConfig;
use berth_core::model::Typed;
use berth_core::models::{
    AuthResponse, CreateImageInfo, DistributionInspect, ImageHistoryResponseItem, ImageInspect,
    ImagePruneResponse, ImageSearchResponseItem, ImageSummary, OciPlatform,
};
use bytes::Bytes;
use tokio::runtime::Runtime;

use super::{Docker, Iter};
use crate::client::images::{AuthStore, SaveName};
use crate::error::{Error, Result};
use crate::transport::{ByteStream, ResponseBody};

impl Docker {
    /// The images of this daemon. See [`crate::Docker::images`].
    ///
    /// ```no_run
    /// # fn demo() -> berth::Result<()> {
    /// let docker = berth::blocking::Docker::from_env()?;
    /// let image = docker.images().get("busybox:berth-test")?;
    /// println!("{} {:?}", image.short_id(), image.tags());
    /// # Ok(()) }
    /// ```
    pub fn images(&self) -> Images {
        Images {
            inner: self.inner.images(),
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::Docker::login`].
    pub fn login(&self, auth: AuthConfig, reauth: bool) -> Result<Typed<AuthResponse>> {
        self.rt.block_on(self.inner.login(auth, reauth))
    }

    /// See [`crate::Docker::set_auth_store`].
    pub fn set_auth_store(&self, store: AuthStore) {
        self.inner.set_auth_store(store);
    }

    /// See [`crate::Docker::auth_store`].
    pub fn auth_store(&self) -> AuthStore {
        self.inner.auth_store()
    }

    /// See [`crate::Docker::credentials_for`].
    pub fn credentials_for(&self, registry: &str) -> Result<Option<AuthConfig>> {
        self.rt.block_on(self.inner.credentials_for(registry))
    }

    /// See [`crate::Docker::all_credentials`].
    pub fn all_credentials(&self) -> Result<BTreeMap<String, AuthConfig>> {
        self.rt.block_on(self.inner.all_credentials())
    }
}

/// The blocking images collection. See [`crate::Images`].
#[derive(Debug, Clone)]
pub struct Images {
    inner: crate::Images,
    rt: Arc<Runtime>,
}

/// A blocking reader over a streamed body (a saved tarball).
pub struct BodyReader {
    body: ResponseBody,
    rt: Arc<Runtime>,
    pending: Bytes,
}

impl std::fmt::Debug for BodyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BodyReader")
            .field("body", &self.body)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() {
            match self.rt.block_on(self.body.chunk()) {
                Some(Ok(b)) => self.pending = b,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}

/// A [`ByteStream`] reading a blocking reader in 64 KiB chunks on tokio's blocking
/// threads (uploads from `std` readers without loading them whole).
fn read_stream<R: Read + Send + 'static>(reader: R) -> ByteStream {
    Box::pin(futures_util::stream::try_unfold(
        Some(reader),
        |state| async move {
            let Some(mut reader) = state else {
                return Ok(None);
            };
            let (reader, chunk) = tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; 64 * 1024];
                let n = reader.read(&mut buf)?;
                buf.truncate(n);
                Ok::<_, std::io::Error>((reader, buf))
            })
            .await
            .map_err(std::io::Error::other)??;
            if chunk.is_empty() {
                return Ok(None);
            }
            Ok(Some((Bytes::from(chunk), Some(reader))))
        },
    ))
}

impl Images {
    fn wrap(&self, inner: crate::Image) -> Image {
        Image {
            inner,
            rt: self.rt.clone(),
        }
    }

    /// See [`crate::Images::list`].
    pub fn list(&self, options: &ImageList) -> Result<Vec<Typed<ImageSummary>>> {
        self.rt.block_on(self.inner.list(options))
    }

    /// See [`crate::Images::list_ids`].
    pub fn list_ids(&self, options: &ImageList) -> Result<Vec<String>> {
        self.rt.block_on(self.inner.list_ids(options))
    }

    /// See [`crate::Images::get`].
    pub fn get(&self, name: &str) -> Result<Image> {
        let i = self.rt.block_on(self.inner.get(name))?;
        Ok(self.wrap(i))
    }

    /// See [`crate::Images::pull`]; iterate the progress items to the end.
    pub fn pull(&self, options: &ImagePull) -> Result<Iter<ProgressDecoder>> {
        let stream = self.rt.block_on(self.inner.pull(options))?;
        Ok(Iter {
            stream,
            rt: self.rt.clone(),
        })
    }

    /// See [`crate::Images::pull_image`].
    pub fn pull_image(
        &self,
        options: &ImagePull,
        progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<Image> {
        let i = self.rt.block_on(self.inner.pull_image(options, progress))?;
        Ok(self.wrap(i))
    }

    /// See [`crate::Images::pull_all_tags`].
    pub fn pull_all_tags(
        &self,
        options: &ImagePull,
        progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<Vec<Image>> {
        let all = self
            .rt
            .block_on(self.inner.pull_all_tags(options, progress))?;
        Ok(all.into_iter().map(|i| self.wrap(i)).collect())
    }

    /// See [`crate::Images::push`]; iterate the progress items to the end.
    pub fn push(&self, options: &ImagePush) -> Result<Iter<ProgressDecoder>> {
        let stream = self.rt.block_on(self.inner.push(options))?;
        Ok(Iter {
            stream,
            rt: self.rt.clone(),
        })
    }

    /// See [`crate::Images::push_to_end`].
    pub fn push_to_end(
        &self,
        options: &ImagePush,
        progress: impl FnMut(&Typed<CreateImageInfo>),
    ) -> Result<ProgressAggregator> {
        self.rt.block_on(self.inner.push_to_end(options, progress))
    }

    /// See [`crate::Images::remove`].
    pub fn remove(&self, options: &ImageRemove) -> Result<Vec<DeleteEntry>> {
        self.rt.block_on(self.inner.remove(options))
    }

    /// See [`crate::Images::prune`].
    pub fn prune(&self, options: &ImagePrune) -> Result<Typed<ImagePruneResponse>> {
        self.rt.block_on(self.inner.prune(options))
    }

    /// See [`crate::Images::search`].
    pub fn search(&self, options: &ImageSearch) -> Result<Vec<Typed<ImageSearchResponseItem>>> {
        self.rt.block_on(self.inner.search(options))
    }

    /// See [`crate::Images::load`].
    pub fn load(&self, tar: ByteStream) -> Result<Vec<String>> {
        self.rt.block_on(self.inner.load(tar))
    }

    /// [`crate::Images::load`] from a blocking reader (a file), streamed.
    pub fn load_from(&self, tar: impl Read + Send + 'static) -> Result<Vec<String>> {
        self.load(read_stream(tar))
    }

    /// See [`crate::Images::import`].
    pub fn import(&self, options: &ImageImport, tar: Option<ByteStream>) -> Result<String> {
        self.rt.block_on(self.inner.import(options, tar))
    }

    /// [`crate::Images::import`] of an upload from a blocking reader, streamed.
    pub fn import_from(
        &self,
        options: &ImageImport,
        tar: impl Read + Send + 'static,
    ) -> Result<String> {
        self.import(options, Some(read_stream(tar)))
    }

    /// See [`crate::Images::save`]: the tarball as a blocking reader.
    pub fn save(&self, names: &[&str]) -> Result<BodyReader> {
        let body = self.rt.block_on(self.inner.save(names))?;
        Ok(BodyReader {
            body,
            rt: self.rt.clone(),
            pending: Bytes::new(),
        })
    }

    /// Writes the tarball of `names` to `out` chunk by chunk; returns the bytes written.
    pub fn save_to(&self, names: &[&str], out: &mut impl Write) -> Result<u64> {
        let mut reader = self.save(names)?;
        std::io::copy(&mut reader, out).map_err(|e| {
            Error::with_source(
                berth_core::Error::Transport(format!("saving images: {e}")),
                e,
            )
        })
    }

    /// See [`crate::Images::registry_data`].
    pub fn registry_data(&self, name: &str) -> Result<RegistryData> {
        let inner = self.rt.block_on(self.inner.registry_data(name))?;
        Ok(RegistryData {
            inner,
            rt: self.rt.clone(),
        })
    }
}

/// A blocking image. See [`crate::Image`].
#[derive(Debug, Clone)]
pub struct Image {
    inner: crate::Image,
    rt: Arc<Runtime>,
}

impl Image {
    /// The async image this wraps.
    pub fn async_image(&self) -> &crate::Image {
        &self.inner
    }

    /// See [`crate::Image::id`].
    pub fn id(&self) -> &str {
        self.inner.id()
    }

    /// See [`crate::Image::short_id`].
    pub fn short_id(&self) -> &str {
        self.inner.short_id()
    }

    /// See [`crate::Image::tags`].
    pub fn tags(&self) -> Vec<String> {
        self.inner.tags()
    }

    /// See [`crate::Image::labels`].
    pub fn labels(&self) -> HashMap<String, String> {
        self.inner.labels()
    }

    /// See [`crate::Image::attrs`].
    pub fn attrs(&self) -> &Typed<ImageInspect> {
        self.inner.attrs()
    }

    /// See [`crate::Image::reload`].
    pub fn reload(&mut self) -> Result<()> {
        self.rt.block_on(self.inner.reload())
    }

    /// See [`crate::Image::history`].
    pub fn history(&self) -> Result<Vec<Typed<ImageHistoryResponseItem>>> {
        self.rt.block_on(self.inner.history())
    }

    /// See [`crate::Image::tag`].
    pub fn tag(&self, repository: &str, tag: Option<&str>) -> Result<()> {
        self.rt.block_on(self.inner.tag(repository, tag))
    }

    /// See [`crate::Image::save`]: the tarball as a blocking reader.
    pub fn save(&self, named: &SaveName) -> Result<BodyReader> {
        let body = self.rt.block_on(self.inner.save(named))?;
        Ok(BodyReader {
            body,
            rt: self.rt.clone(),
            pending: Bytes::new(),
        })
    }

    /// See [`crate::Image::remove`].
    pub fn remove(&self, force: bool, noprune: bool) -> Result<Vec<DeleteEntry>> {
        self.rt.block_on(self.inner.remove(force, noprune))
    }
}

/// Blocking registry data. See [`crate::RegistryData`].
#[derive(Debug, Clone)]
pub struct RegistryData {
    inner: crate::RegistryData,
    rt: Arc<Runtime>,
}

impl RegistryData {
    /// See [`crate::RegistryData::digest`].
    pub fn digest(&self) -> Option<&str> {
        self.inner.digest()
    }

    /// See [`crate::RegistryData::platforms`].
    pub fn platforms(&self) -> &[OciPlatform] {
        self.inner.platforms()
    }

    /// See [`crate::RegistryData::attrs`].
    pub fn attrs(&self) -> &Typed<DistributionInspect> {
        self.inner.attrs()
    }

    /// See [`crate::RegistryData::has_platform`].
    pub fn has_platform(&self, platform: &str) -> Result<bool> {
        self.rt.block_on(self.inner.has_platform(platform))
    }

    /// See [`crate::RegistryData::pull`].
    pub fn pull(&self, platform: Option<&str>) -> Result<Image> {
        let inner = self.rt.block_on(self.inner.pull(platform))?;
        Ok(Image {
            inner,
            rt: self.rt.clone(),
        })
    }
}
