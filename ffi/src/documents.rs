//! Enforcement documents (docs/rules.md §4, R15) for apps: the
//! rectification order (责令限期整改指令书) an inspector issues offline with
//! a number of the tablet's own sequence, the review opinion (整改复查意见书)
//! a township supervisor writes citing it, the sequence report that explains
//! every number, and printing as PDF to a file the app names, in a CJK font
//! the app names (on Android the system's, e.g.
//! `/system/fonts/NotoSansCJK-Regular.ttc`), so the app can hand the file
//! to the print service.
//!
//! Times are milliseconds since the epoch (`*_ms`); calendar days are
//! `YYYY-MM-DD` strings (China Standard Time), as everywhere in the FFI.

use crate::convert::{Decision, Level};
use crate::error::{FfiResult, PaichaError};
use crate::store::PaichaStore;
use paicha_core::documents::{
    self as core_docs, DocumentNumber, HazardOpinion, RectificationOrder, ReviewOpinion, SeriesReport, Signature,
};
use paicha_core::summary::OrderSummary;
use paicha_pdf::{FontFile, ManifestEntry, PdfError};
use paicha_store::SignatureInput as StoreSignature;
use std::path::{Path, PathBuf};

/// The capacity in which someone signs a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SignerCapacity {
    /// One of the issuing inspectors (执法人员): `signer` is their person id.
    Inspector,
    /// The supervisor who reviewed (复查人员): `signer` is their person id.
    Reviewer,
    /// The enterprise's representative (被检查单位负责人): `signer` is the
    /// name as they wrote it.
    EnterpriseRepresentative,
}

impl From<SignerCapacity> for core_docs::SignerCapacity {
    fn from(c: SignerCapacity) -> Self {
        match c {
            SignerCapacity::Inspector => core_docs::SignerCapacity::Inspector,
            SignerCapacity::Reviewer => core_docs::SignerCapacity::Reviewer,
            SignerCapacity::EnterpriseRepresentative => core_docs::SignerCapacity::EnterpriseRepresentative,
        }
    }
}

impl From<core_docs::SignerCapacity> for SignerCapacity {
    fn from(c: core_docs::SignerCapacity) -> Self {
        match c {
            core_docs::SignerCapacity::Inspector => SignerCapacity::Inspector,
            core_docs::SignerCapacity::Reviewer => SignerCapacity::Reviewer,
            core_docs::SignerCapacity::EnterpriseRepresentative => SignerCapacity::EnterpriseRepresentative,
        }
    }
}

/// A signature captured on the tablet, given with the document it signs.
/// A signature not captured is signed by hand on the printed copy.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SignatureInput {
    /// In which capacity.
    pub capacity: SignerCapacity,
    /// The person's id (inspector, reviewer) or the representative's name.
    pub signer: String,
    /// The signature image: a JPEG file on the device; the store copies it.
    pub image_path: String,
}

/// A signature on a document.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SignatureInfo {
    /// In which capacity.
    pub capacity: SignerCapacity,
    /// The person's id or the representative's name.
    pub signer: String,
    /// SHA-256 of the signature image.
    pub image_sha256: String,
}

impl From<&Signature> for SignatureInfo {
    fn from(s: &Signature) -> Self {
        SignatureInfo { capacity: s.capacity.into(), signer: s.signer.clone(), image_sha256: s.image.sha256.clone() }
    }
}

/// A document number (文号) in parts: `{prefix}〔{year}〕{series}-{seq}号`
/// (R15). Compare numbers on these parts, never by parsing the text.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DocumentNumberParts {
    /// The issuing office's prefix.
    pub prefix: String,
    /// The year of issue (China Standard Time).
    pub year: i32,
    /// The issuing device's id: each device has its own sequence.
    pub series: String,
    /// The position in the device's sequence for this office and year, from 1.
    pub seq: u32,
}

impl From<&DocumentNumber> for DocumentNumberParts {
    fn from(n: &DocumentNumber) -> Self {
        DocumentNumberParts { prefix: n.prefix.clone(), year: n.year, series: n.series.clone(), seq: n.seq }
    }
}

/// A hidden danger as an order lists it (copied when the order was issued).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderedHazardInfo {
    /// The hidden danger's id.
    pub hazard_id: String,
    /// The checklist item it was found under, if any.
    pub item_code: Option<String>,
    /// What is wrong.
    pub description: String,
    /// Where.
    pub location: String,
    /// Level when the order was issued.
    pub level: Level,
    /// The regulation or standard it breaks.
    pub legal_basis: String,
    /// What must be done.
    pub required_measures: String,
    /// The order's deadline, `YYYY-MM-DD`.
    pub deadline: String,
}

/// An inspector named on an order.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderInspector {
    /// Person id.
    pub id: String,
    /// Name as printed.
    pub name: String,
    /// Certificate number (执法证号).
    pub certificate_no: Option<String>,
}

/// A rectification order (责令限期整改指令书, §4).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OrderInfo {
    /// Id.
    pub id: String,
    /// The number as printed, `玉山镇应急责改〔2026〕tab-wang-001号`.
    pub number: String,
    /// The number in parts.
    pub number_parts: DocumentNumberParts,
    /// The issuing office's name.
    pub office: String,
    /// The enterprise's credit code.
    pub enterprise: String,
    /// The enterprise's name.
    pub enterprise_name: String,
    /// The enterprise's township.
    pub township: String,
    /// The hidden dangers ordered rectified, with items and deadlines.
    pub hazards: Vec<OrderedHazardInfo>,
    /// The inspectors, with certificate numbers.
    pub inspectors: Vec<OrderInspector>,
    /// The inspector who issued it.
    pub issued_by: String,
    /// The device it was issued on (its number's series).
    pub device_id: String,
    /// When it was issued (device clock), ms.
    pub issued_at_ms: i64,
    /// Signatures captured on the tablet.
    pub signatures: Vec<SignatureInfo>,
    /// Whether it was voided (its number stays used, R15).
    pub voided: bool,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// Who voided it (person id).
    pub voided_by: Option<String>,
    /// When it was voided (device clock), ms.
    pub voided_at_ms: Option<i64>,
}

impl From<&OrderSummary> for OrderInfo {
    fn from(s: &OrderSummary) -> Self {
        let o: &RectificationOrder = &s.order;
        OrderInfo {
            id: o.id.clone(),
            number: o.number.to_string(),
            number_parts: DocumentNumberParts::from(&o.number),
            office: o.office.name.clone(),
            enterprise: o.enterprise.credit_code.clone(),
            enterprise_name: o.enterprise.name.clone(),
            township: o.enterprise.township.clone(),
            hazards: o
                .hazards
                .iter()
                .map(|h| OrderedHazardInfo {
                    hazard_id: h.hazard_id.clone(),
                    item_code: h.item_code.clone(),
                    description: h.description.clone(),
                    location: h.location.clone(),
                    level: h.level.into(),
                    legal_basis: h.legal_basis.clone(),
                    required_measures: h.required_measures.clone(),
                    deadline: h.deadline.to_string(),
                })
                .collect(),
            inspectors: o
                .inspectors
                .iter()
                .map(|p| OrderInspector {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    certificate_no: p.certificate_no.clone(),
                })
                .collect(),
            issued_by: o.issued_by.clone(),
            device_id: o.device_id.clone(),
            issued_at_ms: o.issued_at.0,
            signatures: o.signatures.iter().map(SignatureInfo::from).collect(),
            voided: s.void.is_some(),
            void_reason: s.void.as_ref().map(|v| v.reason.clone()),
            voided_by: s.void.as_ref().map(|v| v.by.clone()),
            voided_at_ms: s.void.as_ref().map(|v| v.at.0),
        }
    }
}

/// The opinion on one hidden danger of an order, as the supervisor gives it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HazardOpinionInput {
    /// The hidden danger (one of the order's), id or unique prefix.
    pub hazard_id: String,
    /// `Approve`: the rectification is accepted (closed, or on to district
    /// verification for a major one); `Reject`: back to rectifying.
    pub decision: Decision,
    /// The opinion in words.
    pub opinion: String,
}

/// The opinion on one hidden danger, as written.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HazardOpinionInfo {
    /// The hidden danger.
    pub hazard_id: String,
    /// The decision.
    pub decision: Decision,
    /// The opinion in words.
    pub opinion: String,
}

/// A review opinion (整改复查意见书, §4), citing its order's number.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct OpinionInfo {
    /// Id.
    pub id: String,
    /// The order it answers.
    pub order_id: String,
    /// The order's number as printed (cited on the opinion).
    pub order_number: String,
    /// The enterprise's credit code.
    pub enterprise: String,
    /// The enterprise's name.
    pub enterprise_name: String,
    /// One opinion per hidden danger reviewed.
    pub opinions: Vec<HazardOpinionInfo>,
    /// The reviewing supervisor (person id).
    pub reviewed_by: String,
    /// The device it was written on.
    pub device_id: String,
    /// When (device clock), ms.
    pub reviewed_at_ms: i64,
    /// Signatures captured on the tablet.
    pub signatures: Vec<SignatureInfo>,
}

impl From<&ReviewOpinion> for OpinionInfo {
    fn from(o: &ReviewOpinion) -> Self {
        OpinionInfo {
            id: o.id.clone(),
            order_id: o.order_id.clone(),
            order_number: o.order_number.to_string(),
            enterprise: o.enterprise.credit_code.clone(),
            enterprise_name: o.enterprise.name.clone(),
            opinions: o
                .opinions
                .iter()
                .map(|x| HazardOpinionInfo {
                    hazard_id: x.hazard_id.clone(),
                    decision: if x.approve { Decision::Approve } else { Decision::Reject },
                    opinion: x.opinion.clone(),
                })
                .collect(),
            reviewed_by: o.reviewed_by.id.clone(),
            device_id: o.device_id.clone(),
            reviewed_at_ms: o.reviewed_at.0,
            signatures: o.signatures.iter().map(SignatureInfo::from).collect(),
        }
    }
}

/// What happened to one number of a sequence (R15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NumberState {
    /// An order in force holds it.
    Issued,
    /// The order holding it was voided; the number stays used.
    Voided,
    /// A later number of the same device is known but this one has not
    /// reached this tablet yet: the device that issued it sends it on its
    /// next sync.
    NotYetReceived,
    /// More than one order holds it; shown, never hidden.
    Duplicate,
}

/// One number of a sequence, explained.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NumberEntry {
    /// The number as printed.
    pub number: String,
    /// Its position in the sequence.
    pub seq: u32,
    /// What happened to it.
    pub state: NumberState,
    /// One line in Chinese for the reader (for a void: why, by whom, when).
    pub explanation: String,
    /// The orders holding it (none when not yet received, several when duplicated).
    pub order_ids: Vec<String>,
}

/// One sequence of numbers (an office's prefix, a year, a device), every
/// number from 1 to the highest known explained: no gap is silent (R15).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NumberSequence {
    /// Office prefix.
    pub prefix: String,
    /// Year.
    pub year: i32,
    /// The device whose sequence it is.
    pub series: String,
    /// Every number from 1 to the highest known, in order.
    pub numbers: Vec<NumberEntry>,
}

impl From<&SeriesReport> for NumberSequence {
    fn from(r: &SeriesReport) -> Self {
        NumberSequence {
            prefix: r.prefix.clone(),
            year: r.year,
            series: r.series.clone(),
            numbers: r
                .numbers
                .iter()
                .map(|(n, s)| {
                    let (state, order_ids) = match s {
                        core_docs::NumberState::Issued { doc_id } => (NumberState::Issued, vec![doc_id.clone()]),
                        core_docs::NumberState::Voided { doc_id, .. } => (NumberState::Voided, vec![doc_id.clone()]),
                        core_docs::NumberState::NotYetReceived { .. } => (NumberState::NotYetReceived, vec![]),
                        core_docs::NumberState::Duplicate { doc_ids } => (NumberState::Duplicate, doc_ids.clone()),
                    };
                    NumberEntry { number: n.to_string(), seq: n.seq, state, explanation: s.explain(), order_ids }
                })
                .collect(),
        }
    }
}

/// One part of a case file and its SHA-256.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ManifestEntryInfo {
    /// What the part is.
    pub part: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Whether the bytes were on this tablet (a photo not yet downloaded is
    /// listed with the hash its record names, and marked as not held).
    pub held: bool,
}

impl From<ManifestEntry> for ManifestEntryInfo {
    fn from(m: ManifestEntry) -> Self {
        ManifestEntryInfo { part: m.part, sha256: m.sha256, held: m.held }
    }
}

/// The font at `font_path`; any problem is an `InvalidInput` on `font_path`.
fn font(font_path: &str) -> FfiResult<FontFile> {
    if font_path.trim().is_empty() {
        return Err(PaichaError::InvalidInput {
            field: "font_path".into(),
            reason: "no font file given; name a CJK font such as /system/fonts/NotoSansCJK-Regular.ttc".into(),
        });
    }
    FontFile::load(Path::new(font_path))
        .map_err(|e: PdfError| PaichaError::InvalidInput { field: "font_path".into(), reason: e.to_string() })
}

/// Writes `bytes` to `out_path` whole: to a temporary file beside it, then
/// renamed, so a print service never reads half a document. A path that
/// cannot be written is an `InvalidInput` on `out_path`.
fn write_out(out_path: &str, bytes: &[u8]) -> FfiResult<()> {
    let bad = |reason: String| PaichaError::InvalidInput { field: "out_path".into(), reason };
    let path = PathBuf::from(out_path);
    let Some(name) = path.file_name() else {
        return Err(bad(format!("'{out_path}' names no file")));
    };
    let mut tmp_name = name.to_os_string();
    tmp_name.push(".part");
    let tmp = path.with_file_name(tmp_name);
    std::fs::write(&tmp, bytes).map_err(|e| bad(format!("{} could not be written: {e}", tmp.display())))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        bad(format!("{out_path} could not be written: {e}"))
    })
}

fn store_signatures(inputs: Vec<SignatureInput>) -> Vec<StoreSignature> {
    inputs
        .into_iter()
        .map(|s| StoreSignature { capacity: s.capacity.into(), signer: s.signer, image: PathBuf::from(s.image_path) })
        .collect()
}

#[uniffi::export]
impl PaichaStore {
    /// Issues a rectification order, offline, as the signed-in inspector for
    /// `hazard_ids` (ids or unique prefixes, all of one enterprise, handled
    /// by a deadline), with `co_inspectors` (at least two certified
    /// inspectors in all, §4). Its number is the next of this tablet's own
    /// sequence for the office and year (`…〔2026〕<device>-001号`, R15), so
    /// two tablets offline never take the same number. Blocks on disk.
    pub fn issue_order(
        &self,
        hazard_ids: Vec<String>,
        co_inspectors: Vec<String>,
        signatures: Vec<SignatureInput>,
    ) -> FfiResult<OrderInfo> {
        let order = self.store.issue_order(
            &self.me()?,
            &hazard_ids,
            &co_inspectors,
            &store_signatures(signatures),
            self.now(),
        )?;
        let summary = OrderSummary { order, void: None };
        Ok(OrderInfo::from(&summary))
    }

    /// Voids an order (id, unique prefix or printed number) issued in error,
    /// with a reason: it stays in history and its number stays used, with
    /// the reason (R15). One of its inspectors or a supervisor of the
    /// township may void it. Blocks on disk.
    pub fn void_order(&self, order: String, reason: String) -> FfiResult<OrderInfo> {
        let s = self.store.void_order(&self.me()?, &order, &reason, self.now())?;
        Ok(OrderInfo::from(&s))
    }

    /// An order by id, unique id prefix or printed number, in the user's scope (R2). Blocks on disk.
    pub fn order(&self, id_or_number: String) -> FfiResult<OrderInfo> {
        Ok(OrderInfo::from(&self.store.order(&self.me()?, &id_or_number)?))
    }

    /// The orders in the user's scope, newest first; only those listing
    /// `hazard_id` if given. Blocks on disk.
    pub fn orders(&self, hazard_id: Option<String>) -> FfiResult<Vec<OrderInfo>> {
        Ok(self.store.orders(&self.me()?, hazard_id.as_deref())?.iter().map(OrderInfo::from).collect())
    }

    /// Writes the signed-in supervisor's review opinion on `order` (id,
    /// prefix or number): one opinion per hidden danger of the order, each
    /// recorded as the review itself (R8: approve closes, reject sends back
    /// to rectifying), all in one transaction. Only a supervisor of the
    /// enterprise's township may (`Forbidden` `R8`). Blocks on disk.
    pub fn issue_opinion(
        &self,
        order: String,
        opinions: Vec<HazardOpinionInput>,
        signatures: Vec<SignatureInput>,
    ) -> FfiResult<OpinionInfo> {
        let opinions = opinions
            .into_iter()
            .map(|o| {
                Ok(HazardOpinion {
                    hazard_id: self.store.resolve_hazard_id(&o.hazard_id)?,
                    approve: o.decision == Decision::Approve,
                    opinion: o.opinion,
                })
            })
            .collect::<FfiResult<Vec<_>>>()?;
        let (opinion, _) =
            self.store.issue_opinion(&self.me()?, &order, opinions, &store_signatures(signatures), self.now())?;
        Ok(OpinionInfo::from(&opinion))
    }

    /// The review opinions citing `order` (id, prefix or number), oldest first. Blocks on disk.
    pub fn opinions(&self, order: String) -> FfiResult<Vec<OpinionInfo>> {
        Ok(self.store.opinions(&self.me()?, &order)?.iter().map(OpinionInfo::from).collect())
    }

    /// A review opinion by id or unique prefix, in the user's scope (R2). Blocks on disk.
    pub fn opinion(&self, id: String) -> FfiResult<OpinionInfo> {
        Ok(OpinionInfo::from(&self.store.opinion(&self.me()?, &id)?))
    }

    /// Every number sequence this tablet knows in the user's scope, each
    /// number from 1 to the highest known explained: issued, voided (why,
    /// by whom, when), not yet received from its device, or duplicated (R15).
    /// Blocks on disk.
    pub fn number_sequences(&self) -> FfiResult<Vec<NumberSequence>> {
        Ok(self.store.number_sequences(&self.me()?)?.iter().map(NumberSequence::from).collect())
    }

    /// Prints `order` (id, prefix or number) as an A4 PDF to `out_path`,
    /// offline, in the CJK font at `font_path` (Android:
    /// `/system/fonts/NotoSansCJK-Regular.ttc`). A missing or unusable font
    /// is an `InvalidInput` on `font_path`, a path that cannot be written
    /// one on `out_path`. Blocks on disk.
    pub fn order_pdf(&self, order: String, font_path: String, out_path: String) -> FfiResult<()> {
        let font = font(&font_path)?;
        let bytes = self.store.order_pdf(&self.me()?, &order, &font)?;
        write_out(&out_path, &bytes)
    }

    /// Prints review opinion `id` as an A4 PDF to `out_path`, as `order_pdf`. Blocks on disk.
    pub fn opinion_pdf(&self, id: String, font_path: String, out_path: String) -> FfiResult<()> {
        let font = font(&font_path)?;
        let bytes = self.store.opinion_pdf(&self.me()?, &id, &font)?;
        write_out(&out_path, &bytes)
    }

    /// Prints the case file (执法案卷) of a hidden danger as one PDF to
    /// `out_path`: the record, its orders, evidence with photos, review
    /// opinions and history (R1), as `order_pdf`. Returns the manifest: the
    /// SHA-256 of every part. Blocks on disk.
    pub fn case_file_pdf(
        &self,
        hazard_id: String,
        font_path: String,
        out_path: String,
    ) -> FfiResult<Vec<ManifestEntryInfo>> {
        let font = font(&font_path)?;
        let (bytes, manifest) = self.store.case_file_pdf(&self.me()?, &hazard_id, &font, self.now())?;
        write_out(&out_path, &bytes)?;
        Ok(manifest.into_iter().map(ManifestEntryInfo::from).collect())
    }
}
