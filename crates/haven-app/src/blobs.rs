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

use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

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
