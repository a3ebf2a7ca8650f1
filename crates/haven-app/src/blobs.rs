//! The content-addressed blob store for dispute evidence, behind the
//! `object_store` crate: a local directory by default, any S3-compatible
//! bucket by configuration (`s3://bucket/prefix`, credentials and endpoint
//! from the usual `AWS_*` environment variables).
//!
//! Files are named by their SHA-256, so the same photo uploaded twice is
//! stored once and a stored file can never silently change. A blob is written
//! before the database row that references it; a failed commit can leave an
//! unreferenced blob behind, which is harmless.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult, ErrorKind};

#[derive(Clone)]
pub struct BlobStore {
    inner: Arc<dyn ObjectStore>,
}

pub const MAX_IMAGE_BYTES: usize = 8 * 1024 * 1024;
pub const MAX_VIDEO_BYTES: usize = 50 * 1024 * 1024;

/// The media type by content; the file name and declared type are ignored.
pub fn sniff_evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if let Some(image) = crate::sniff_image_type(bytes) {
        return Some(image);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some(if &bytes[8..11] == b"qt " {
            "video/quicktime"
        } else {
            "video/mp4"
        });
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Some("video/webm");
    }
    None
}

/// Bytes a content type can be told from.
const SNIFF_BYTES: usize = 16;
/// Parts of a streamed upload in flight to the store at once; with the
/// 5 MiB part size, what an upload holds in memory at most.
const PARTS_IN_FLIGHT: usize = 2;

/// An evidence file on its way in.
pub enum Upload {
    /// Small, already in memory (a form field, a test).
    Bytes(Vec<u8>),
    /// A request body still arriving: streamed into the store part by part,
    /// never held whole.
    Stream(BoxStream<'static, std::io::Result<Bytes>>),
    /// Streamed into the store already (a multipart form's file field).
    Stored(StoredBlob),
}

/// A file in the blob store, checked by content and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub hash: String,
    pub content_type: &'static str,
    pub size_bytes: i64,
}

fn unsupported_type() -> AppError {
    AppError::validation("only PNG, JPEG, WebP images and MP4, MOV, WebM videos are accepted")
}

fn too_large(content_type: &str) -> AppError {
    AppError::new(
        ErrorKind::TooLarge,
        format!(
            "{content_type} files must be at most {} MiB",
            max_bytes_for(content_type) / (1024 * 1024)
        ),
    )
}

/// What a streamed upload has shown so far: its hash, size and type.
#[derive(Default)]
struct Intake {
    hasher: Sha256,
    size_bytes: usize,
    head: Vec<u8>,
    content_type: Option<&'static str>,
}

impl Intake {
    /// Take one chunk; refuse as soon as the type is unsupported or the
    /// size passes the type's limit.
    fn take(&mut self, chunk: &[u8]) -> AppResult<()> {
        self.hasher.update(chunk);
        self.size_bytes = self.size_bytes.saturating_add(chunk.len());
        if self.content_type.is_none() {
            let wanted = SNIFF_BYTES.saturating_sub(self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..wanted]);
            if self.head.len() >= SNIFF_BYTES {
                self.content_type =
                    Some(sniff_evidence_type(&self.head).ok_or_else(unsupported_type)?);
            }
        }
        let limit = self.content_type.map_or(MAX_VIDEO_BYTES, max_bytes_for);
        if self.size_bytes > limit {
            return Err(too_large(self.content_type.unwrap_or("video/mp4")));
        }
        Ok(())
    }

    fn finish(self) -> AppResult<StoredBlob> {
        let content_type = match self.content_type {
            Some(known) => known,
            None => sniff_evidence_type(&self.head).ok_or_else(unsupported_type)?,
        };
        Ok(StoredBlob {
            hash: hex::encode(self.hasher.finalize()),
            content_type,
            size_bytes: i64::try_from(self.size_bytes).unwrap_or(i64::MAX),
        })
    }
}

/// The largest file accepted for a media type.
pub fn max_bytes_for(content_type: &str) -> usize {
    if content_type.starts_with("video/") {
        MAX_VIDEO_BYTES
    } else {
        MAX_IMAGE_BYTES
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn path_for(hash: &str) -> Path {
    Path::from(format!("evidence/{}/{}/{hash}", &hash[..2], &hash[2..4]))
}

fn valid_hash(hash: &str) -> bool {
    hash.len() == 64
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl BlobStore {
    /// `s3://bucket[/prefix]`, `file:///abs/dir`, or a plain directory path.
    pub fn open(url: &str) -> anyhow::Result<BlobStore> {
        Self::open_with(url, None)
    }

    /// As [`BlobStore::open`], with the endpoint of an S3-compatible server
    /// for `s3://` URLs (credentials and region still come from `AWS_*`).
    pub fn open_with(url: &str, s3_endpoint: Option<&str>) -> anyhow::Result<BlobStore> {
        let inner: Arc<dyn ObjectStore> = if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let mut builder =
                object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Some(endpoint) = s3_endpoint {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_virtual_hosted_style_request(false);
            }
            let s3 = builder.build()?;
            if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
            }
        } else {
            let dir = url.strip_prefix("file://").unwrap_or(url);
            std::fs::create_dir_all(dir)?;
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir)?)
        };
        Ok(BlobStore { inner })
    }

    /// Store bytes under their hash; returns the hash.
    pub async fn put(&self, bytes: Vec<u8>) -> AppResult<String> {
        let hash = sha256_hex(&bytes);
        let path = path_for(&hash);
        if self.inner.head(&path).await.is_err() {
            self.inner
                .put(&path, PutPayload::from(bytes))
                .await
                .map_err(AppError::internal)?;
        }
        Ok(hash)
    }

    /// Check an evidence file by content and size and store it by hash.
    pub async fn accept(&self, upload: Upload) -> AppResult<StoredBlob> {
        match upload {
            Upload::Stored(stored) => Ok(stored),
            Upload::Bytes(bytes) => {
                let content_type = sniff_evidence_type(&bytes).ok_or_else(unsupported_type)?;
                if bytes.len() > max_bytes_for(content_type) {
                    return Err(too_large(content_type));
                }
                let size_bytes = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
                let hash = self.put(bytes).await?;
                Ok(StoredBlob {
                    hash,
                    content_type,
                    size_bytes,
                })
            }
            Upload::Stream(chunks) => self.put_stream(chunks).await,
        }
    }

    /// Stream chunks into a staging object part by part, hashing on the
    /// way; then move it to its content address. Memory stays at a few
    /// parts whatever the file's size; a refused or broken upload leaves
    /// nothing behind.
    pub async fn put_stream<S, E>(&self, mut chunks: S) -> AppResult<StoredBlob>
    where
        S: futures::Stream<Item = Result<Bytes, E>> + Unpin + Send,
        E: std::fmt::Display,
    {
        let staging = Path::from(format!("staging/{}", uuid::Uuid::now_v7()));
        let upload = self
            .inner
            .put_multipart(&staging)
            .await
            .map_err(AppError::internal)?;
        let mut writer = WriteMultipart::new(upload);
        let mut intake = Intake::default();
        let mut failure = None;
        while let Some(chunk) = chunks.next().await {
            let taken = match chunk {
                Ok(chunk) => intake.take(&chunk).map(|()| chunk),
                Err(err) => Err(AppError::bad_request(format!(
                    "the upload broke off: {err}"
                ))),
            };
            match taken {
                Ok(chunk) => {
                    writer.write(&chunk);
                    if let Err(err) = writer.wait_for_capacity(PARTS_IN_FLIGHT).await {
                        failure = Some(AppError::internal(err));
                        break;
                    }
                }
                Err(err) => {
                    failure = Some(err);
                    break;
                }
            }
        }
        let stored = match failure.map_or_else(|| intake.finish(), Err) {
            Ok(stored) => stored,
            Err(err) => {
                let _ = writer.abort().await;
                return Err(err);
            }
        };
        writer.finish().await.map_err(AppError::internal)?;
        let path = path_for(&stored.hash);
        if self.inner.head(&path).await.is_ok() {
            let _ = self.inner.delete(&staging).await;
        } else {
            self.inner
                .rename(&staging, &path)
                .await
                .map_err(AppError::internal)?;
        }
        Ok(stored)
    }

    pub async fn get(&self, hash: &str) -> AppResult<Vec<u8>> {
        if !valid_hash(hash) {
            return Err(AppError::not_found("file"));
        }
        let result = self
            .inner
            .get(&path_for(hash))
            .await
            .map_err(|err| match err {
                object_store::Error::NotFound { .. } => AppError::not_found("file"),
                other => AppError::internal(other),
            })?;
        let bytes = result.bytes().await.map_err(AppError::internal)?;
        // Content addressing is also an integrity check on the way out.
        if sha256_hex(&bytes) != hash {
            return Err(AppError::internal(format!("blob {hash} is corrupt")));
        }
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content_not_name() {
        let png = [
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
            &[0; 8],
        ]
        .concat();
        assert_eq!(sniff_evidence_type(&png), Some("image/png"));
        let mp4 = [&[0, 0, 0, 0x18][..], b"ftypisom", &[0; 8]].concat();
        assert_eq!(sniff_evidence_type(&mp4), Some("video/mp4"));
        assert_eq!(
            sniff_evidence_type(&[0x1A, 0x45, 0xDF, 0xA3, 1]),
            Some("video/webm")
        );
        assert_eq!(
            sniff_evidence_type(b"MZ\x90\x00 this is an exe renamed .jpg"),
            None
        );
        assert_eq!(sniff_evidence_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(max_bytes_for("video/mp4"), MAX_VIDEO_BYTES);
    }

    #[tokio::test]
    async fn content_addressed_round_trip() {
        let dir = std::env::temp_dir().join(format!("haven-blobs-{}", uuid::Uuid::now_v7()));
        let store = BlobStore::open(dir.to_str().unwrap()).unwrap();
        let hash = store.put(b"evidence".to_vec()).await.unwrap();
        assert_eq!(hash, sha256_hex(b"evidence"));
        assert_eq!(
            store.put(b"evidence".to_vec()).await.unwrap(),
            hash,
            "stored once"
        );
        assert_eq!(store.get(&hash).await.unwrap(), b"evidence");
        assert_eq!(
            store.get(&"0".repeat(64)).await.unwrap_err().code(),
            "not_found"
        );
        assert_eq!(
            store.get("../../etc/passwd").await.unwrap_err().code(),
            "not_found"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
