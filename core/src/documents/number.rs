//! Document numbers (文号) and their sequences (R15).
//!
//! A number is `{office prefix}〔{year}〕{series}-{seq}号`. The series is the
//! issuing device's id, so two tablets offline on the same day can never
//! take the same number, and a device numbers its own orders 1, 2, 3... in
//! each office and year, the next number taken in the same transaction that
//! writes the order. The server refuses a number outside the uploading
//! device's series or taken twice. The scheme and its trade-offs are in
//! docs/adr/0011-document-numbers.md.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A document number, kept in parts so that uniqueness and sequences are
/// checked on the parts, never by parsing the printed text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocumentNumber {
    /// The issuing office's prefix (from the policy).
    pub prefix: String,
    /// The year of issue, in China Standard Time.
    pub year: i32,
    /// The issuing device's id.
    pub series: String,
    /// The position in the device's sequence for this office and year, from 1.
    pub seq: u32,
}

impl std::fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}〔{}〕{}-{:03}号", self.prefix, self.year, self.series, self.seq)
    }
}

impl DocumentNumber {
    /// The next number of `series` for `prefix` and `year`, after the
    /// numbers already `taken` (of any series): one more than the highest
    /// of this series, so a device's sequence has no gap of its own making.
    pub fn next(prefix: &str, year: i32, series: &str, taken: &[DocumentNumber]) -> DocumentNumber {
        let seq = taken
            .iter()
            .filter(|n| n.prefix == prefix && n.year == year && n.series == series)
            .map(|n| n.seq)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        DocumentNumber { prefix: prefix.to_string(), year, series: series.to_string(), seq }
    }

    /// The sequence this number belongs to: (prefix, year, series).
    pub fn sequence(&self) -> (String, i32, String) {
        (self.prefix.clone(), self.year, self.series.clone())
    }
}

/// A number known to the tablet or the server, with the record that holds
/// it and, if the order was voided, why.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedNumber {
    /// The number.
    pub number: DocumentNumber,
    /// The order holding it.
    pub doc_id: String,
    /// The void, if the order was voided.
    pub void: Option<super::OrderVoid>,
}

/// What happened to one number of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub enum NumberState {
    /// An order in force holds it.
    Issued {
        /// The order.
        doc_id: String,
    },
    /// The order holding it was voided: the number stays used, the reason,
    /// the person and the time explain it.
    Voided {
        /// The order.
        doc_id: String,
        /// The void.
        void: super::OrderVoid,
    },
    /// No record with this number has reached this replica although a later
    /// number of the same device has: the order was written on that device
    /// and is still on it (it syncs it on its next exchange). Numbers are
    /// taken only with the order they number, so this is the only way a
    /// number can be missing.
    NotYetReceived {
        /// The device that holds it.
        device: String,
    },
    /// More than one order holds it. The server refuses a second holder
    /// (R15), so only a modified device racing itself can cause this; it is
    /// shown, never hidden.
    Duplicate {
        /// The orders holding it.
        doc_ids: Vec<String>,
    },
}

impl NumberState {
    /// One line in Chinese for a person reading the sequence.
    pub fn explain(&self) -> String {
        match self {
            NumberState::Issued { doc_id } => format!("已使用（{doc_id}）"),
            NumberState::Voided { doc_id, void } => {
                format!("已作废（{doc_id}）：{}，{} 于 {} 作废", void.reason, void.by, void.at)
            }
            NumberState::NotYetReceived { device } => {
                format!("尚未收到：该文号由设备 {device} 离线签发，待其下次同步后上传")
            }
            NumberState::Duplicate { doc_ids } => {
                format!("重号：{} 份指令书使用了同一文号（{}）", doc_ids.len(), doc_ids.join("、"))
            }
        }
    }
}

/// One sequence (an office's prefix, a year, a device) with every number
/// from 1 to the highest known, each explained.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesReport {
    /// Office prefix.
    pub prefix: String,
    /// Year.
    pub year: i32,
    /// Device.
    pub series: String,
    /// Every number from 1 to the highest known, in order.
    pub numbers: Vec<(DocumentNumber, NumberState)>,
}

impl SeriesReport {
    /// The numbers not (yet) held by an order in force, which a reader of
    /// the sequence sees as gaps: each comes with its explanation.
    pub fn gaps(&self) -> impl Iterator<Item = &(DocumentNumber, NumberState)> {
        self.numbers.iter().filter(|(_, s)| !matches!(s, NumberState::Issued { .. }))
    }
}

/// Every sequence of `issued`, with each number from 1 to the highest known
/// explained: used, voided (with why, by whom, when) or not yet received
/// from its device. No gap is ever left silent (R15).
pub fn sequence_report(issued: &[IssuedNumber]) -> Vec<SeriesReport> {
    let mut by_seq: BTreeMap<(String, i32, String), BTreeMap<u32, Vec<&IssuedNumber>>> = BTreeMap::new();
    for n in issued {
        by_seq.entry(n.number.sequence()).or_default().entry(n.number.seq).or_default().push(n);
    }
    by_seq
        .into_iter()
        .map(|((prefix, year, series), known)| {
            let max = known.keys().next_back().copied().unwrap_or(0);
            let numbers = (1..=max)
                .map(|seq| {
                    let number = DocumentNumber { prefix: prefix.clone(), year, series: series.clone(), seq };
                    let state = match known.get(&seq).map(Vec::as_slice) {
                        Some([IssuedNumber { doc_id, void: None, .. }]) => {
                            NumberState::Issued { doc_id: doc_id.clone() }
                        }
                        Some([IssuedNumber { doc_id, void: Some(v), .. }]) => {
                            NumberState::Voided { doc_id: doc_id.clone(), void: v.clone() }
                        }
                        Some(many) if many.len() > 1 => {
                            NumberState::Duplicate { doc_ids: many.iter().map(|n| n.doc_id.clone()).collect() }
                        }
                        _ => NumberState::NotYetReceived { device: series.clone() },
                    };
                    (number, state)
                })
                .collect();
            SeriesReport { prefix, year, series, numbers }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::documents::OrderVoid;
    use crate::time::Timestamp;

    fn n(series: &str, seq: u32) -> DocumentNumber {
        DocumentNumber { prefix: "玉山镇应急责改".into(), year: 2026, series: series.into(), seq }
    }

    #[test]
    fn numbers_print_as_documents_show_them() {
        assert_eq!(n("tab-wang", 7).to_string(), "玉山镇应急责改〔2026〕tab-wang-007号");
    }

    #[test]
    fn each_device_continues_its_own_sequence_per_office_and_year() {
        let taken = vec![n("tab-wang", 1), n("tab-wang", 2), n("tab-li", 5)];
        assert_eq!(DocumentNumber::next("玉山镇应急责改", 2026, "tab-wang", &taken).seq, 3);
        assert_eq!(DocumentNumber::next("玉山镇应急责改", 2026, "tab-li", &taken).seq, 6);
        assert_eq!(DocumentNumber::next("玉山镇应急责改", 2027, "tab-wang", &taken).seq, 1);
        assert_eq!(DocumentNumber::next("周市镇应急责改", 2026, "tab-wang", &taken).seq, 1);
    }

    #[test]
    fn every_gap_is_explained() {
        let void = OrderVoid {
            reason: "企业名称打印错误".into(),
            by: "insp-wang".into(),
            device_id: "tab-wang".into(),
            at: Timestamp(1_780_000_000_000),
        };
        let issued = vec![
            IssuedNumber { number: n("tab-wang", 1), doc_id: "o1".into(), void: None },
            IssuedNumber { number: n("tab-wang", 2), doc_id: "o2".into(), void: Some(void.clone()) },
            IssuedNumber { number: n("tab-wang", 4), doc_id: "o4".into(), void: None },
            IssuedNumber { number: n("tab-li", 1), doc_id: "l1".into(), void: None },
        ];
        let report = sequence_report(&issued);
        assert_eq!(report.len(), 2);
        let wang = report.iter().find(|r| r.series == "tab-wang").unwrap();
        assert_eq!(wang.numbers.len(), 4);
        let gaps: Vec<_> = wang.gaps().collect();
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[0].1, NumberState::Voided { doc_id: "o2".into(), void });
        assert_eq!(gaps[1].1, NumberState::NotYetReceived { device: "tab-wang".into() });
        assert!(gaps[0].1.explain().contains("企业名称打印错误"));
        assert!(gaps[1].1.explain().contains("tab-wang"));
        assert_eq!(report.iter().find(|r| r.series == "tab-li").unwrap().gaps().count(), 0);
        let mut twice = issued.clone();
        twice.push(IssuedNumber { number: n("tab-li", 1), doc_id: "l1-again".into(), void: None });
        let li = sequence_report(&twice).into_iter().find(|r| r.series == "tab-li").unwrap();
        assert_eq!(li.numbers[0].1, NumberState::Duplicate { doc_ids: vec!["l1".into(), "l1-again".into()] });
        assert!(li.numbers[0].1.explain().contains("重号"));
    }
}
