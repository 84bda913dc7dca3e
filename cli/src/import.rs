//! Reading the files an operator brings: enterprises as CSV, answers as CSV or JSON.
//! Every error names the file, the line and the column.

use paicha_core::enterprise::{Contact, Enterprise, RiskColour, SizeClass};
use paicha_core::inspection::AnswerValue;
use paicha_store::NewAnswer;
use std::collections::HashMap;
use std::path::Path;

/// The columns of an enterprise CSV; `credit_code`, `name`, `township`,
/// `size_class` and `risk_colour` are required, the rest optional.
pub const ENTERPRISE_COLUMNS: &[&str] = &[
    "credit_code",
    "name",
    "address",
    "township",
    "grid",
    "sectors",
    "size_class",
    "risk_colour",
    "hazardous_chemicals",
    "contact_name",
    "contact_phone",
];

fn yes_no(s: &str) -> Result<bool, String> {
    match s.trim().to_lowercase().as_str() {
        "" | "no" | "false" | "0" | "否" | "n" => Ok(false),
        "yes" | "true" | "1" | "是" | "y" => Ok(true),
        other => Err(format!("'{other}' is not yes or no")),
    }
}

fn field<T>(file: &impl std::fmt::Display, line: usize, col: &str, r: Result<T, String>) -> Result<T, String> {
    r.map_err(|e| format!("{file} line {line}, {col}: {e}"))
}

/// Parses an enterprise CSV (UTF-8, header row).
pub fn enterprises_csv(path: &Path) -> Result<Vec<Enterprise>, String> {
    let name = path.display();
    let mut reader =
        csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(path).map_err(|e| format!("{name}: {e}"))?;
    let headers = reader.headers().map_err(|e| format!("{name}: {e}"))?.clone();
    let index: HashMap<String, usize> =
        headers.iter().enumerate().map(|(i, h)| (h.trim_start_matches('\u{feff}').to_string(), i)).collect();
    for required in ["credit_code", "name", "township", "size_class", "risk_colour"] {
        if !index.contains_key(required) {
            return Err(format!(
                "{name}: the header has no '{required}' column (columns: {})",
                ENTERPRISE_COLUMNS.join(",")
            ));
        }
    }
    let mut out = vec![];
    for (n, record) in reader.records().enumerate() {
        let line = n + 2;
        let record = record.map_err(|e| format!("{name} line {line}: {e}"))?;
        let get = |col: &str| index.get(col).and_then(|&i| record.get(i)).unwrap_or("").to_string();
        let contact_name = get("contact_name");
        out.push(Enterprise {
            credit_code: get("credit_code"),
            name: get("name"),
            address: get("address"),
            township: get("township"),
            grid: get("grid"),
            sectors: get("sectors")
                .split([';', '；', '|'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            size_class: field(&name, line, "size_class", SizeClass::parse(&get("size_class")))?,
            risk_colour: field(&name, line, "risk_colour", RiskColour::parse(&get("risk_colour")))?,
            hazardous_chemicals: field(&name, line, "hazardous_chemicals", yes_no(&get("hazardous_chemicals")))?,
            contacts: if contact_name.is_empty() {
                vec![]
            } else {
                vec![Contact { name: contact_name, phone: get("contact_phone"), title: "安全负责人".into() }]
            },
        });
        // Validate now so the line number is in the message.
        let last = out.pop().ok_or("unreachable")?;
        out.push(last.validate().map_err(|e| format!("{name} line {line}: {e}"))?);
    }
    Ok(out)
}

#[derive(serde::Deserialize)]
struct JsonAnswer {
    item: String,
    value: String,
    #[serde(default)]
    note: String,
}

/// Parses answers: JSON `[{"item","value","note"}]` or CSV `item,value,note`.
pub fn answers(path: &Path) -> Result<Vec<NewAnswer>, String> {
    let name = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let raw: Vec<JsonAnswer> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?
    } else {
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
        let mut v = vec![];
        for (n, r) in reader.records().enumerate() {
            let r = r.map_err(|e| format!("{name} line {}: {e}", n + 2))?;
            v.push(JsonAnswer {
                item: r.get(0).unwrap_or("").to_string(),
                value: r.get(1).unwrap_or("").to_string(),
                note: r.get(2).unwrap_or("").to_string(),
            });
        }
        v
    };
    raw.into_iter()
        .enumerate()
        .map(|(i, a)| {
            if a.item.is_empty() || a.value.is_empty() {
                Err(format!("{name}: answer #{} needs an item and a value", i + 1))
            } else {
                Ok(NewAnswer { item_code: a.item, value: AnswerValue::parse(&a.value), note: a.note, photos: vec![] })
            }
        })
        .collect()
}
