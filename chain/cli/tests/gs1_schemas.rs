//! The demo chain's EPCIS exports validated against GS1's published EPCIS 2.0 schemas
//! (chain/epcis/tests/data/gs1/schema, see its README): every event in JSON-LD against
//! the JSON schema, in XML against the XSD (with `xmllint`, libxml2-utils), and one item's
//! journey both ways.

use crate::common;

use common::ok;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../epcis/tests/data/gs1/schema")
}

/// The JSON schema's complaints about `doc` (an EPCIS JSON-LD document), one a line.
fn json_schema_errors(doc: &str) -> Vec<String> {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(schema_dir().join("EPCIS-JSON-Schema.json")).expect("schema"),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("GS1's schema compiles");
    let instance: Value = serde_json::from_str(doc).expect("the export is JSON");
    validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// `xmllint`'s complaints about `doc` against GS1's XSD; empty when it validates.
fn xsd_errors(dir: &Path, name: &str, doc: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, doc).expect("write");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(schema_dir().join("EPCglobal-epcis-2_0.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint (Debian package libxml2-utils) runs");
    if out.status.success() {
        String::new()
    } else {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )
    }
}

fn export(d: &Path, args: &[&str]) -> String {
    let mut full = vec!["epcis", "export"];
    full.extend_from_slice(args);
    let j = ok(d, &full);
    assert!(j["events"].as_u64().unwrap_or(0) > 0, "{j}");
    j["document"].as_str().expect("document").to_string()
}

#[test]
fn the_demo_chain_exports_valid_epcis_by_gs1s_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    ok(d, &["demo", "--quiet"]);

    let all = export(d, &["--all", "--format", "jsonld"]);
    let errors = json_schema_errors(&all);
    assert!(
        errors.is_empty(),
        "the JSON-LD export breaks GS1's JSON schema:\n{}",
        errors.join("\n")
    );
    let xml = export(d, &["--all", "--format", "xml"]);
    let errors = xsd_errors(d, "all.xml", &xml);
    assert!(
        errors.is_empty(),
        "the XML export breaks GS1's XSD:\n{errors}"
    );

    // One item's journey: the first item the export names.
    let doc = handoff_epcis::parse(&all).expect("reads back");
    let item = doc
        .events
        .iter()
        .flat_map(|e| e.epc_list.iter())
        .find(|id| id.contains("/21/"))
        .expect("a serialized item")
        .clone();
    let journey = export(d, &[&item, "--format", "jsonld"]);
    let errors = json_schema_errors(&journey);
    assert!(errors.is_empty(), "{item}:\n{}", errors.join("\n"));
    let journey = export(d, &[&item, "--format", "xml"]);
    let errors = xsd_errors(d, "journey.xml", &journey);
    assert!(errors.is_empty(), "{item}:\n{errors}");
}

/// The checks can fail: a document missing what the schemas require is refused by both.
#[test]
fn the_schemas_refuse_an_event_without_its_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = r#"{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
      "type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-01-01T00:00:00Z",
      "epcisBody":{"eventList":[{"type":"ObjectEvent","eventTimeZoneOffset":"+00:00",
      "epcList":["https://id.gs1.org/01/00614141000012/21/1"],"action":"OBSERVE"}]}}"#;
    assert!(!json_schema_errors(json).is_empty());
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" creationDate="2026-01-01T00:00:00Z">
<EPCISBody><EventList><ObjectEvent><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>
<epcList><epc>https://id.gs1.org/01/00614141000012/21/1</epc></epcList><action>OBSERVE</action>
</ObjectEvent></EventList></EPCISBody></epcis:EPCISDocument>"#;
    assert!(!xsd_errors(dir.path(), "bad.xml", xml).is_empty());
}
