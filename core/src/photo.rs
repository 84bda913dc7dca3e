//! Photo references: a photo is identified by the SHA-256 of its bytes, so the
//! same picture taken once is stored once and can be verified anywhere.

use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// What a photo shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoRole {
    /// The hidden danger as found.
    Before,
    /// The rectified state (evidence).
    After,
    /// A document (order, plan, signature sheet).
    Document,
}

impl PhotoRole {
    /// Parses `before`, `after`, `document`.
    pub fn parse(s: &str) -> Result<PhotoRole, String> {
        match s {
            "before" => Ok(PhotoRole::Before),
            "after" => Ok(PhotoRole::After),
            "document" => Ok(PhotoRole::Document),
            other => Err(format!("photo role '{other}' is not one of before, after, document")),
        }
    }
}

/// A GPS fix with its accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Accuracy radius in metres.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

impl Gps {
    /// Parses `lat,lon[,accuracy]`.
    pub fn parse(s: &str) -> Result<Gps, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let num = |p: &str| p.parse::<f64>().map_err(|_| format!("gps '{s}': '{p}' is not a number"));
        if parts.len() < 2 || parts.len() > 3 {
            return Err(format!("gps '{s}' should be lat,lon or lat,lon,accuracy_m"));
        }
        let gps =
            Gps { lat: num(parts[0])?, lon: num(parts[1])?, accuracy_m: parts.get(2).map(|p| num(p)).transpose()? };
        if !(-90.0..=90.0).contains(&gps.lat) || !(-180.0..=180.0).contains(&gps.lon) {
            return Err(format!("gps '{s}' is outside the globe"));
        }
        Ok(gps)
    }
}

/// A photo as a record refers to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoRef {
    /// SHA-256 of the bytes, lower-case hex: the photo's identity.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Before, after or document.
    pub role: PhotoRole,
    /// When it was taken (device clock).
    #[serde(default)]
    pub captured_at: Option<Timestamp>,
    /// Where it was taken.
    #[serde(default)]
    pub gps: Option<Gps>,
    /// The device that took it.
    #[serde(default)]
    pub device_id: String,
}
