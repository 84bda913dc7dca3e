//! Reference data a district manages: people, enterprises, checklist
//! templates and the policy. Plain tables, not documents: a tablet receives
//! them from the district and does not edit them offline.

use super::Store;
use crate::error::{Error, Result, RuleError};
use paicha_core::enterprise::Enterprise;
use paicha_core::people::Person;
use paicha_core::policy::Policy;
use paicha_core::template::{self, Template};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

pub(super) fn person_in(conn: &Connection, id: &str) -> Result<Person> {
    let json: Option<String> =
        conn.query_row("SELECT json FROM people WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    let json = json.ok_or_else(|| Error::not_found("person", id))?;
    serde_json::from_str(&json).map_err(|e| Error::Document { id: format!("person {id}"), detail: e.to_string() })
}

pub(super) fn enterprise_in(conn: &Connection, code: &str) -> Result<Enterprise> {
    let json: Option<String> =
        conn.query_row("SELECT json FROM enterprises WHERE credit_code = ?1", [code], |r| r.get(0)).optional()?;
    let Some(json) = json else {
        // Say why: a mistyped code is invalid, a valid one is simply unknown here.
        return Err(match paicha_core::credit_code::validate(code) {
            Err(reason) => Error::invalid("enterprise", reason),
            Ok(_) => Error::not_found("enterprise", code),
        });
    };
    serde_json::from_str(&json).map_err(|e| Error::Document { id: format!("enterprise {code}"), detail: e.to_string() })
}

pub(super) fn template_in(conn: &Connection, id: &str, version: Option<u32>) -> Result<Template> {
    let json: Option<String> = match version {
        Some(v) => conn
            .query_row("SELECT json FROM templates WHERE id = ?1 AND version = ?2", params![id, v], |r| r.get(0))
            .optional()?,
        None => conn
            .query_row("SELECT json FROM templates WHERE id = ?1 ORDER BY version DESC LIMIT 1", [id], |r| r.get(0))
            .optional()?,
    };
    let name = match version {
        Some(v) => format!("{id} v{v}"),
        None => id.to_string(),
    };
    let json = json.ok_or_else(|| Error::not_found("template", name.clone()))?;
    serde_json::from_str(&json).map_err(|e| Error::Document { id: format!("template {name}"), detail: e.to_string() })
}

pub(super) fn policy_in(conn: &Connection) -> Result<Policy> {
    let json: Option<String> = conn.query_row("SELECT json FROM policy WHERE id = 1", [], |r| r.get(0)).optional()?;
    match json {
        None => Ok(Policy::default()),
        Some(j) => serde_json::from_str(&j).map_err(|e| Error::Document { id: "policy".into(), detail: e.to_string() }),
    }
}

pub(super) fn store_policy(conn: &Connection, policy: &Policy) -> Result<()> {
    let json = serde_json::to_string(policy).map_err(|e| Error::invalid("policy", e.to_string()))?;
    conn.execute("INSERT OR REPLACE INTO policy(id, json) VALUES (1, ?1)", [json])?;
    Ok(())
}

/// R3: stores a template version; the same version with other content is refused.
pub(super) fn put_template(conn: &Connection, t: &Template) -> Result<bool> {
    t.validate().map_err(|e| Error::invalid("template", e))?;
    let json = serde_json::to_string(t).map_err(|e| Error::invalid("template", e.to_string()))?;
    let sha = super::hex(&Sha256::digest(json.as_bytes()));
    let existing: Option<String> = conn
        .query_row("SELECT sha256 FROM templates WHERE id = ?1 AND version = ?2", params![t.id, t.version], |r| {
            r.get(0)
        })
        .optional()?;
    match existing {
        Some(s) if s == sha => Ok(false),
        Some(_) => Err(RuleError::new(
            "R3",
            format!(
                "template {} version {} is published and never changes; publish version {}",
                t.id,
                t.version,
                t.version + 1
            ),
        )
        .into()),
        None => {
            conn.execute(
                "INSERT INTO templates(id, version, sector, title, sha256, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.id, t.version, t.sector, t.title, sha, json],
            )?;
            Ok(true)
        }
    }
}

pub(super) fn load_bundled_templates(conn: &Connection) -> Result<()> {
    for (file, text) in template::bundled() {
        let t: Template = serde_json::from_str(text)
            .map_err(|e| Error::invalid(format!("bundled checklist {file}"), e.to_string()))?;
        put_template(conn, &t)?;
    }
    Ok(())
}

pub(super) fn put_person_in(tx: &Connection, person: &Person) -> Result<()> {
    let json = serde_json::to_string(person).map_err(|e| Error::invalid("person", e.to_string()))?;
    tx.execute(
        "INSERT OR REPLACE INTO people(id, role, json) VALUES (?1, ?2, ?3)",
        params![person.id, person.role.as_str(), json],
    )?;
    Ok(())
}

pub(super) fn put_enterprises_in(tx: &Connection, list: &[Enterprise]) -> Result<()> {
    let mut stmt = tx.prepare(
        "INSERT OR REPLACE INTO enterprises(credit_code, name, township, grid, risk_colour, json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for e in list {
        let json = serde_json::to_string(e).map_err(|x| Error::invalid("enterprise", x.to_string()))?;
        stmt.execute(params![e.credit_code, e.name, e.township, e.grid, e.risk_colour.as_str(), json])?;
    }
    Ok(())
}

/// A line of the template list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TemplateSummary {
    /// Id.
    pub id: String,
    /// Version.
    pub version: u32,
    /// Sector.
    pub sector: String,
    /// Title.
    pub title: String,
    /// Number of items.
    pub items: usize,
}

impl Store {
    /// Adds or replaces a person, as district admin `by` (R2: reference data
    /// is the district's). On a store with nobody in it yet, the first person
    /// must be a district admin adding themself: that is how a tablet that is
    /// not enrolled gets its registry started. Validates the role's scope fields.
    pub fn put_person(&self, by: &str, person: &Person) -> Result<()> {
        person.validate().map_err(|e| Error::invalid("person", e))?;
        self.write(|tx| {
            let empty: bool = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM people)", [], |r| r.get(0))?;
            if empty {
                if person.role != paicha_core::people::Role::DistrictAdmin || person.id != by {
                    return Err(RuleError::new(
                        "R2",
                        "the registry is empty: the first person is the district admin adding themself",
                    )
                    .into());
                }
            } else {
                paicha_core::people::check_manages_reference(&person_in(tx, by)?, "people")?;
            }
            put_person_in(tx, person)
        })
    }

    /// Loads the demo district's people and enterprises (paicha init --demo,
    /// the app's offline demo): the district's data, as enrollment would bring it.
    pub fn seed_demo_district(&self) -> Result<()> {
        self.write(|tx| {
            for p in paicha_core::demo::people() {
                put_person_in(tx, &p)?;
            }
            put_enterprises_in(tx, &paicha_core::demo::enterprises())?;
            Ok(())
        })
    }

    /// The person with `id`.
    pub fn person(&self, id: &str) -> Result<Person> {
        self.read(|c| person_in(c, id))
    }

    /// Everyone known to this store.
    pub fn people(&self) -> Result<Vec<Person>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT json FROM people ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = vec![];
            for j in rows {
                out.push(serde_json::from_str(&j?).map_err(|e| Error::invalid("person", e.to_string()))?);
            }
            Ok(out)
        })
    }

    /// The people `viewer` sees (R2, [`Person::sees_person`]: an enterprise
    /// user sees itself and the officials, never another enterprise's people).
    pub fn people_seen_by(&self, viewer: &str) -> Result<Vec<Person>> {
        let viewer = self.person(viewer)?;
        Ok(self.people()?.into_iter().filter(|p| viewer.sees_person(p)).collect())
    }

    /// Imports enterprises all or nothing, as district admin `by` (R2): every
    /// credit code is validated and a duplicate in the input is refused before
    /// anything is written. Existing enterprises with the same code are
    /// updated. Returns the count.
    pub fn import_enterprises(&self, by: &str, enterprises: Vec<Enterprise>) -> Result<usize> {
        self.import_enterprises_with_progress(by, enterprises, &|_, _| {})
    }

    /// [`Store::import_enterprises`], telling `progress(done, total)` as
    /// the enterprises are checked and written (still all or nothing).
    pub fn import_enterprises_with_progress(
        &self,
        by: &str,
        enterprises: Vec<Enterprise>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<usize> {
        let total = enterprises.len();
        let mut seen = HashSet::new();
        let mut valid = Vec::with_capacity(enterprises.len());
        for (i, e) in enterprises.into_iter().enumerate() {
            let e = e.validate().map_err(|m| Error::invalid(format!("enterprise #{}", i + 1), m))?;
            if !seen.insert(e.credit_code.clone()) {
                return Err(Error::invalid(
                    format!("enterprise #{}", i + 1),
                    format!("credit code {} appears twice", e.credit_code),
                ));
            }
            valid.push(e);
        }
        self.write(|tx| {
            paicha_core::people::check_manages_reference(&person_in(tx, by)?, "enterprises")?;
            for (i, chunk) in valid.chunks(500).enumerate() {
                put_enterprises_in(tx, chunk)?;
                progress((i * 500 + chunk.len()).min(total), total);
            }
            Ok(valid.len())
        })
    }

    /// The enterprise with credit code `code`, for `viewer` (R2: an
    /// enterprise user sees only itself, an inspector or supervisor only
    /// their townships).
    pub fn enterprise(&self, viewer: &str, code: &str) -> Result<Enterprise> {
        self.read(|c| {
            let viewer = person_in(c, viewer)?;
            let e = enterprise_in(c, code.trim())?;
            if !viewer.in_scope(&e.credit_code, &e.township) {
                return Err(RuleError::new(
                    "R2",
                    format!("{} has no scope over enterprise {}", viewer.id, e.credit_code),
                )
                .into());
            }
            Ok(e)
        })
    }

    /// How many enterprises this store knows (for `paicha info`).
    pub fn enterprise_count(&self) -> Result<usize> {
        self.read(|c| Ok(c.query_row("SELECT COUNT(*) FROM enterprises", [], |r| r.get::<_, i64>(0))? as usize))
    }

    /// The enterprises in `viewer`'s scope (R2), optionally of one township, by name.
    pub fn enterprises(&self, viewer: &str, township: Option<&str>) -> Result<Vec<Enterprise>> {
        self.read(|c| {
            let viewer = person_in(c, viewer)?;
            let mut stmt =
                c.prepare("SELECT json FROM enterprises WHERE (?1 IS NULL OR township = ?1) ORDER BY township, name")?;
            let rows = stmt.query_map([township], |r| r.get::<_, String>(0))?;
            let mut out = vec![];
            for j in rows {
                let e: Enterprise =
                    serde_json::from_str(&j?).map_err(|e| Error::invalid("enterprise", e.to_string()))?;
                if viewer.in_scope(&e.credit_code, &e.township) {
                    out.push(e);
                }
            }
            Ok(out)
        })
    }

    /// Publishes a template version as district admin `by` (R2; R3: a
    /// published version never changes). Returns false if the identical
    /// version was already there.
    pub fn import_template(&self, by: &str, t: &Template) -> Result<bool> {
        self.write(|tx| {
            paicha_core::people::check_manages_reference(&person_in(tx, by)?, "templates")?;
            put_template(tx, t)
        })
    }

    /// A template version, or the latest version when `version` is None.
    pub fn template(&self, id: &str, version: Option<u32>) -> Result<Template> {
        self.read(|c| template_in(c, id, version))
    }

    /// All template versions.
    pub fn templates(&self) -> Result<Vec<TemplateSummary>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT json FROM templates ORDER BY id, version")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            let mut out = vec![];
            for j in rows {
                let t: Template = serde_json::from_str(&j?).map_err(|e| Error::invalid("template", e.to_string()))?;
                out.push(TemplateSummary {
                    items: t.items().count(),
                    id: t.id,
                    version: t.version,
                    sector: t.sector,
                    title: t.title,
                });
            }
            Ok(out)
        })
    }

    /// The policy in this store.
    pub fn policy(&self) -> Result<Policy> {
        self.read(policy_in)
    }

    /// Replaces the policy (all its versions) as district admin `by` (R2). Validated first.
    pub fn set_policy(&self, by: &str, policy: &Policy) -> Result<()> {
        policy.validate().map_err(|e| Error::invalid("policy", e))?;
        self.write(|tx| {
            paicha_core::people::check_manages_reference(&person_in(tx, by)?, "the policy")?;
            store_policy(tx, policy)
        })
    }
}
