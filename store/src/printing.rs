//! Printing on the tablet, offline: orders, review opinions and case files
//! as PDF from the store's records and photo folder ([`paicha_pdf`]), so an
//! inspector hands the enterprise its signed order on site.

use crate::error::Result;
use crate::Store;
use paicha_core::time::Timestamp;
use paicha_pdf::{CaseFile, FontFile, ManifestEntry, PhotoSource};

/// The store's photo folder as the printer's photo source: a photo is used
/// only if its bytes still hash to its id.
struct StorePhotos<'a>(&'a Store);

impl PhotoSource for StorePhotos<'_> {
    fn jpeg(&self, sha256: &str) -> Option<Vec<u8>> {
        self.0.photo_bytes(sha256).ok()
    }
}

impl Store {
    /// Order `id_or_number` as a PDF, for `viewer` (R2), in the font at `font`.
    pub fn order_pdf(&self, viewer: &str, id_or_number: &str, font: &FontFile) -> Result<Vec<u8>> {
        let o = self.order(viewer, id_or_number)?;
        Ok(paicha_pdf::order_pdf(&o.order, o.void.as_ref(), font, &StorePhotos(self))?)
    }

    /// Review opinion `id` as a PDF, for `viewer` (R2).
    pub fn opinion_pdf(&self, viewer: &str, id: &str, font: &FontFile) -> Result<Vec<u8>> {
        let op = self.opinion(viewer, id)?;
        let order = self.order(viewer, &op.order_id)?;
        Ok(paicha_pdf::opinion_pdf(&op, &order.order, font, &StorePhotos(self))?)
    }

    /// The case file (执法案卷) of hidden danger `hazard_id` as one PDF, and
    /// its manifest of SHA-256 hashes, for `viewer` (R2), made at `now`.
    pub fn case_file_pdf(
        &self,
        viewer: &str,
        hazard_id: &str,
        font: &FontFile,
        now: Timestamp,
    ) -> Result<(Vec<u8>, Vec<ManifestEntry>)> {
        let id = self.resolve_hazard_id(hazard_id)?;
        let hazard = self.hazard(viewer, &id)?;
        let orders = self.orders(viewer, Some(&id))?;
        let mut opinions = vec![];
        for o in &orders {
            opinions.extend(
                self.opinions(viewer, &o.order.id)?
                    .into_iter()
                    .filter(|op| op.opinions.iter().any(|x| x.hazard_id == id)),
            );
        }
        let case = CaseFile {
            hazard: &hazard,
            orders: &orders,
            opinions: &opinions,
            generated_at: now,
            generated_on: &self.device.device_id,
        };
        Ok(paicha_pdf::case_file_pdf(&case, font, &StorePhotos(self))?)
    }
}
