//! Enforcement documents in the console (§4, R15): the orders in the
//! person's scope with their numbers and any gap explained, and the PDFs
//! (order, review opinion, the case file of a hidden danger) downloadable
//! wherever a record is shown. Printed by the same code as on the tablet
//! ([`paicha_pdf`]), in the font the operator names (`--pdf-font`).

use super::pages::{page, when};
use super::{blocking, html_page, signed_in, ConsoleError, ConsoleState};
use crate::storage::{Storage, SummaryQuery};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use paicha_core::documents::{sequence_report, IssuedNumber, ReviewOpinion};
use paicha_core::kinds::DocKind;
use paicha_core::people::{Person, Role};
use paicha_core::summary::{OrderSummary, Summary};
use paicha_core::time::Timestamp;
use paicha_pdf::{FontFile, PhotoSource};

/// The server's photo store as the printer's photo source.
struct BlobPhotos<'a>(&'a dyn crate::blobs::Blobs);

impl PhotoSource for BlobPhotos<'_> {
    fn jpeg(&self, sha256: &str) -> Option<Vec<u8>> {
        self.0.get(sha256, 0).ok().flatten()
    }
}

/// Orders in `person`'s scope (R2), newest first; of one enterprise if given.
pub fn orders_in_scope(
    storage: &dyn Storage,
    person: &Person,
    enterprise: Option<&str>,
) -> Result<Vec<OrderSummary>, ConsoleError> {
    let mut q = SummaryQuery::all(DocKind::Order);
    q.viewer = Some(person);
    q.enterprise = enterprise;
    let mut list: Vec<OrderSummary> = storage
        .summaries(&q)?
        .into_iter()
        .filter_map(|s| match s {
            Summary::Order(o) => Some(o),
            _ => None,
        })
        .filter(|o| person.in_scope(&o.order.enterprise.credit_code, &o.order.enterprise.township))
        .collect();
    list.sort_by(|a, b| b.order.issued_at.cmp(&a.order.issued_at).then(a.order.id.cmp(&b.order.id)));
    Ok(list)
}

/// Review opinions of an enterprise in `person`'s scope.
fn opinions_of(storage: &dyn Storage, person: &Person, enterprise: &str) -> Result<Vec<ReviewOpinion>, ConsoleError> {
    let mut q = SummaryQuery::all(DocKind::ReviewOpinion);
    q.viewer = Some(person);
    q.enterprise = Some(enterprise);
    Ok(storage
        .summaries(&q)?
        .into_iter()
        .filter_map(|s| match s {
            Summary::ReviewOpinion(o) => Some(o),
            _ => None,
        })
        .filter(|o| person.in_scope(&o.enterprise.credit_code, &o.enterprise.township))
        .collect())
}

/// The orders listing hidden danger `hazard` and their review opinions.
pub fn documents_of_hazard(
    storage: &dyn Storage,
    person: &Person,
    enterprise: &str,
    hazard: &str,
) -> Result<(Vec<OrderSummary>, Vec<ReviewOpinion>), ConsoleError> {
    let orders: Vec<OrderSummary> = orders_in_scope(storage, person, Some(enterprise))?
        .into_iter()
        .filter(|o| o.order.hazards.iter().any(|h| h.hazard_id == hazard))
        .collect();
    let opinions = opinions_of(storage, person, enterprise)?
        .into_iter()
        .filter(|op| {
            orders.iter().any(|o| o.order.id == op.order_id) && op.opinions.iter().any(|x| x.hazard_id == hazard)
        })
        .collect();
    Ok((orders, opinions))
}

/// The section of a hidden danger's page that lists its documents.
pub fn documents_section(hazard: &str, orders: &[OrderSummary], opinions: &[ReviewOpinion]) -> Markup {
    html! {
        section.documents aria-label="执法文书" {
            h2 { "执法文书" }
            @if orders.is_empty() {
                p.hint { "还没有责令限期整改指令书（检查员在平板上签发后同步到这里）。" }
            }
            ul {
                @for o in orders {
                    li {
                        "责令限期整改指令书 " strong { (o.order.number.to_string()) }
                        "，" (when(o.order.issued_at)) " 签发"
                        @if let Some(v) = &o.void { "，已作废：" (v.reason) }
                        " · " a href=(format!("/orders/{}/pdf", o.order.id)) { "下载 PDF" }
                    }
                }
                @for op in opinions {
                    li {
                        "整改复查意见书（依据 " (op.order_number.to_string()) "），" (when(op.reviewed_at))
                        " · " a href=(format!("/opinions/{}/pdf", op.id)) { "下载 PDF" }
                    }
                }
            }
            p { a href=(format!("/hazards/{hazard}/case-file")) { "下载执法案卷（PDF，含文书、照片、全过程记录与 SHA-256 清单）" } }
        }
    }
}

pub(crate) fn font(st: &ConsoleState) -> Result<FontFile, ConsoleError> {
    let path = st.config.pdf_font.clone().unwrap_or_else(|| paicha_pdf::DEBIAN_CJK_FONT.into());
    FontFile::load(&path).map_err(|e| ConsoleError::NoFont(e.to_string()))
}

fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.pdf\"")),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) fn printing(e: paicha_pdf::PdfError) -> ConsoleError {
    match e {
        paicha_pdf::PdfError::Write(m) => ConsoleError::Internal(m),
        other => ConsoleError::NoFont(other.to_string()),
    }
}

/// An order in `person`'s scope, or 404 (R2).
fn order_in_scope(storage: &dyn Storage, person: &Person, id: &str) -> Result<OrderSummary, ConsoleError> {
    let view = crate::sync::view(storage);
    let o = paicha_core::sync::validate::ServerView::order(&view, id)
        .map_err(|e| ConsoleError::Internal(e.to_string()))?
        .ok_or(ConsoleError::NotFound)?;
    if !person.in_scope(&o.order.enterprise.credit_code, &o.order.enterprise.township) {
        return Err(ConsoleError::NotFound);
    }
    Ok(o)
}

/// `GET /orders/{id}/pdf`.
pub async fn order_pdf(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    blocking(move || {
        let o = order_in_scope(st.storage.as_ref(), &who.person, &id)?;
        let bytes = paicha_pdf::order_pdf(&o.order, o.void.as_ref(), &font(&st)?, &BlobPhotos(st.blobs.as_ref()))
            .map_err(printing)?;
        Ok(pdf_response(bytes, &format!("order-{}", o.order.id)))
    })
    .await
}

/// `GET /opinions/{id}/pdf`.
pub async fn opinion_pdf(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    blocking(move || {
        let storage = st.storage.as_ref();
        let Some(doc) = crate::storage::stored_record(storage, &id, DocKind::ReviewOpinion)? else {
            return Err(ConsoleError::NotFound);
        };
        let op: ReviewOpinion = doc.body().map_err(|e| ConsoleError::Internal(format!("stored record {id}: {e}")))?;
        if !who.person.in_scope(&op.enterprise.credit_code, &op.enterprise.township) {
            return Err(ConsoleError::NotFound);
        }
        let o = order_in_scope(storage, &who.person, &op.order_id)?;
        let bytes =
            paicha_pdf::opinion_pdf(&op, &o.order, &font(&st)?, &BlobPhotos(st.blobs.as_ref())).map_err(printing)?;
        Ok(pdf_response(bytes, &format!("opinion-{id}")))
    })
    .await
}

/// `GET /hazards/{id}/case-file`: the case file (执法案卷) as one PDF.
pub async fn case_file_pdf(
    State(st): State<ConsoleState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    blocking(move || {
        let c = super::hazard_page::load(st.storage.as_ref(), &who.person, &id, Timestamp::now())?;
        let mut hazard = c.hazard;
        for e in &mut hazard.history {
            e.received_at = c.receipts.get(&e.event_id).copied();
        }
        let (orders, opinions) = c.documents;
        let case = paicha_pdf::CaseFile {
            hazard: &hazard,
            orders: &orders,
            opinions: &opinions,
            generated_at: Timestamp::now(),
            generated_on: "paicha-server",
        };
        let (bytes, _) =
            paicha_pdf::case_file_pdf(&case, &font(&st)?, &BlobPhotos(st.blobs.as_ref())).map_err(printing)?;
        Ok(pdf_response(bytes, &format!("case-file-{id}")))
    })
    .await
}

/// `GET /orders`: the orders in scope, and each number sequence with its
/// gaps explained (R15).
pub async fn orders_page(State(st): State<ConsoleState>, headers: HeaderMap) -> Result<Response, ConsoleError> {
    let who = signed_in(&st, &headers).await?;
    blocking(move || {
        let list = orders_in_scope(st.storage.as_ref(), &who.person, None)?;
        let issued: Vec<IssuedNumber> = list
            .iter()
            .map(|o| IssuedNumber { number: o.order.number.clone(), doc_id: o.order.id.clone(), void: o.void.clone() })
            .collect();
        let report = sequence_report(&issued);
        let sees_sequences = matches!(who.person.role, Role::Supervisor | Role::DistrictAdmin | Role::Inspector);
        let body = html! {
            table {
                thead { tr { th { "文号" } th { "企业" } th { "签发" } th { "隐患数" } th { "状态" } th { "PDF" } } }
                tbody {
                    @for o in &list {
                        tr {
                            td { (o.order.number.to_string()) }
                            td { (o.order.enterprise.name) }
                            td { (when(o.order.issued_at)) " · " (o.order.device_id) }
                            td { (o.order.hazards.len()) }
                            td { @if let Some(v) = &o.void { "已作废：" (v.reason) } @else { "有效" } }
                            td { a href=(format!("/orders/{}/pdf", o.order.id)) { "下载" } }
                        }
                    }
                }
            }
            @if list.is_empty() { p.hint { "没有指令书。" } }
            @if sees_sequences && !report.is_empty() {
                h2 { "文号序列" }
                p.hint { "每台平板在每个发文机关、每年有自己的序号；空号均有说明（R15）。" }
                @for s in &report {
                    h3 { (s.prefix) "〔" (s.year) "〕" (s.series) "：共 " (s.numbers.len()) " 号，空号 " (s.gaps().count()) " 个" }
                    ul { @for (n, state) in s.gaps() { li { (n.to_string()) "：" (state.explain()) } } }
                }
            }
        };
        Ok(html_page(StatusCode::OK, page(&who.viewer(), "/orders", "责令限期整改指令书", body)))
    })
    .await
}
