//! The app's command adapters on a real data folder (sled on disk, real signatures),
//! without a window: what the UI gets back for the actions staff take.

use handoff_api::*;
use handoff_app_lib::{AppNode, Startup};
use serde_json::Value;
use std::path::Path;

/// A typed answer as the UI reads it.
fn j<T: serde::Serialize>(r: Result<T, ApiError>) -> Result<Value, ApiError> {
    r.map(|v| serde_json::to_value(v).expect("json"))
}

fn lookup_of(node: &AppNode, code: &str) -> Result<Value, ApiError> {
    j(node.call(LookupRequest { scan: code.into() }))
}

fn show(node: &AppNode, code: &str) -> Value {
    j(node.call(ItemShowRequest {
        key: code.into(),
        proof: false,
    }))
    .expect("item show")
}

fn label_of(node: &AppNode, code: &str, format: &str, size: &str) -> Result<Value, ApiError> {
    j(node.call(LabelRequest {
        scans: vec![code.into()],
        format: format.into(),
        size: size.into(),
        title: None,
        title_from_chain: true,
        claim_codes: vec![],
        base: DIGITAL_LINK_BASE.into(),
    }))
}

/// The app on a folder the command line seeded with the demo chain (`handoff demo`).
fn demo_node(dir: &Path, act_as: &str) -> AppNode {
    handoff_cli::demo::run(
        dir,
        handoff_cli::demo::DemoArgs {
            bags: 300,
            quiet: true,
        },
    )
    .expect("seed the demo");
    AppNode::start(Startup {
        data: dir.to_path_buf(),
        org: String::new(),
        act_as: Some(act_as.to_string()),
        peers: vec![],
        mdns: false,
    })
}

fn custodian(node: &AppNode, code: &str) -> String {
    let v = show(node, code);
    v["item"]["custodian"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn on_the_demo_chain_a_scan_shows_the_item() {
    let dir = tempfile::tempdir().expect("tmp");
    let node = demo_node(dir.path(), "Corner Grocer");
    let v = lookup_of(&node, "(01)00614141025015(21)E261000022").expect("lookup");
    assert_eq!(v["scan"]["canonical"], "/01/00614141025015/21/E261000022");
    assert_eq!(v["thing"]["item"]["custodian"]["name"], "Corner Grocer");
    assert_eq!(v["verdict"]["verdict"], "genuine");
    // A pallet has a holder and a history but no product verdict.
    let v = lookup_of(&node, "(00)306141410000000068").expect("pallet");
    assert_eq!(v["thing"]["item"]["kind"], "container");
    assert!(v["verdict"].is_null(), "{}", v["verdict"]);
    // The same scan as a keyboard-wedge scanner sends it: symbology prefix and GS.
    let raw = "]Q3010061414102501521E261000022";
    let v = lookup_of(&node, raw).expect("raw lookup");
    assert_eq!(v["scan"]["canonical"], "/01/00614141025015/21/E261000022");
}

#[test]
fn ship_switch_identity_and_receive_with_one_item_missing() {
    let dir = tempfile::tempdir().expect("tmp");
    let node = demo_node(dir.path(), "Harbor Logistics");
    // The demo warehouse holds a pallet of espresso bags.
    let pallet = "/00/306141410000000068";
    let lost = "/01/00614141025015/21/E261000300";
    let kept = "/01/00614141025015/21/E261000299";
    assert_eq!(custodian(&node, pallet), "Harbor Logistics");
    let p = node
        .call(ProposeRequest {
            to: "Corner Grocer".into(),
            scans: vec![pallet.into()],
            transfer: TransferKind::Custody,
            qty: None,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_in: None,
        })
        .expect("propose");
    let id = p.handoff.clone();
    node.switch("Corner Grocer").expect("switch");
    // A scan of a bag in the offered pallet shows the offer it travels in, to accept there.
    let v = lookup_of(&node, kept).expect("lookup");
    assert_eq!(v["handoff"]["id"], id.as_str(), "{v}");
    assert_eq!(v["handoff"]["to"]["name"], "Corner Grocer", "{v}");
    assert_eq!(v["handoff"]["status"], "open", "{v}");
    let inbox = j(node.call(InboxRequest {})).expect("inbox");
    let incoming = inbox["incoming"].as_array().expect("incoming");
    assert!(
        incoming.iter().any(|h| h["id"] == id.as_str()),
        "the offer is in the grocer's inbox: {inbox}"
    );
    node.call(AcceptRequest {
        id: id.clone(),
        missing: vec![lost.into()],
        damaged: vec![],
    })
    .expect("accept");
    assert_eq!(custodian(&node, pallet), "Corner Grocer");
    assert_eq!(
        custodian(&node, kept),
        "Corner Grocer",
        "contents move with the pallet"
    );
    assert_eq!(
        custodian(&node, lost),
        "Harbor Logistics",
        "a missing item stays with the sender"
    );
    let v = show(&node, lost);
    assert_eq!(v["item"]["exception"]["kind"], "missing");
    // Once accepted, a scan offers nothing more to accept.
    let v = lookup_of(&node, kept).expect("lookup");
    assert!(v["handoff"].is_null(), "{v}");
}

#[test]
fn rejected_actions_and_bad_scans_come_back_as_code_and_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let node = demo_node(dir.path(), "Corner Grocer");
    // Shipping an item the grocer does not hold (the roaster has it).
    let e = node
        .call(ProposeRequest {
            to: "Harbor Logistics".into(),
            scans: vec!["/01/00614141025015/21/E261000018".into()],
            transfer: TransferKind::Custody,
            qty: None,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_in: None,
        })
        .expect_err("not the custodian");
    assert_eq!(e.code, "NOT_CUSTODIAN", "{e:?}");
    // A malformed scan names the problem.
    let e = lookup_of(&node, "(01)00614141025016(21)X").expect_err("bad check digit");
    assert_eq!(e.code, "SCAN_BAD_CHECK_DIGIT");
    assert!(e.message.contains("check digit"), "{}", e.message);
    // A scan that looks like an option is still a scan.
    let e = lookup_of(&node, "--as").expect_err("not a code");
    assert!(e.code.starts_with("SCAN_"), "{e:?}");
}

#[test]
fn an_unwritable_data_folder_is_an_error_the_ui_can_show() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").expect("write");
    let node = AppNode::start(Startup {
        data: file.join("data"),
        org: "Test".into(),
        act_as: None,
        peers: vec![],
        mdns: false,
    });
    let e = node.call(StatusRequest {}).expect_err("no folder");
    assert_eq!(e.code, "DATA_FOLDER");
    assert!(e.message.contains("not-a-folder"), "{}", e.message);
}

#[test]
fn a_label_for_a_scanned_bag_carries_its_product_name_and_reads_back() {
    use base64::Engine;
    let dir = tempfile::tempdir().expect("tmp");
    let node = demo_node(dir.path(), "Northside Roasters");
    let v = label_of(&node, "(01)00614141025015(21)E261000022", "png", "50x30").expect("label");
    assert_eq!(v["mime"], "image/png");
    let png = base64::engine::general_purpose::STANDARD
        .decode(v["data_base64"].as_str().expect("data"))
        .expect("base64");
    let codes = handoff_node::qr::decode_bytes(&png).expect("decode");
    assert_eq!(codes, vec![v["uri"].as_str().expect("uri").to_string()]);
    let svg = label_of(&node, "(01)00614141025015(21)E261000022", "svg", "100x50").expect("svg");
    let svg = base64::engine::general_purpose::STANDARD
        .decode(svg["data_base64"].as_str().expect("data"))
        .expect("base64");
    assert!(String::from_utf8_lossy(&svg).contains("Northside Espresso Roast 250 g"));
    let e = label_of(&node, "(01)123", "png", "50x30").expect_err("bad");
    assert!(e.code.starts_with("SCAN_"), "{e:?}");
}

#[test]
fn a_demo_product_shows_its_picture_and_a_product_without_one_shows_none() {
    use base64::Engine;
    use handoff_app_lib::commands::product_image_of;
    let dir = tempfile::tempdir().expect("tmp");
    let node = demo_node(dir.path(), "Northside Roasters");
    // The espresso's definition names the hash of assets/demo/espresso.svg, and the app
    // answers that file.
    let v = product_image_of(&node, "00614141025015").expect("picture");
    assert_eq!(v.mime.as_deref(), Some("image/svg+xml"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(v.data_base64.as_deref().expect("data"))
        .expect("base64");
    let file =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/demo/espresso.svg"))
            .expect("the picture");
    assert!(bytes == file, "the espresso's picture");
    assert_eq!(
        v.image_hash.as_deref(),
        Some(hex::encode(handoff_core::types::sha256(&[&file]).0).as_str())
    );
    // A product defined without a picture: no picture, and no error.
    let decaf = gtin("0061414100077");
    node.call(handoff_api::ProductDefineRequest {
        gtin: decaf.clone(),
        name: "Decaf 250 g".into(),
        description: String::new(),
        attributes: vec![],
    })
    .expect("define");
    let v = product_image_of(&node, &decaf).expect("no picture");
    assert!(v.image_hash.is_none() && v.data_base64.is_none(), "{v:?}");
    // An unknown product is the ledger's error, not an empty picture.
    let e = product_image_of(&node, &gtin("0061414100088")).expect_err("unknown");
    assert_eq!(e.code, "UNKNOWN_PRODUCT", "{e:?}");
}

/// A GTIN-14 from its first 13 digits and their check digit.
fn gtin(digits: &str) -> String {
    let check = handoff_core::gs1::check_digit(digits).expect("13 digits");
    format!("{digits}{check}")
}

/// What the window's "export" saves: the file whole under its own name, a second save of
/// the same name beside it (never over it), and nothing written for a name that would
/// leave the folder.
#[test]
fn saved_exports_never_overwrite_and_stay_in_their_folder() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("Downloads");
    let a =
        handoff_app_lib::save_file(&out, "handoff-epcis-all.jsonld", "{\"a\":1}").expect("saved");
    let b =
        handoff_app_lib::save_file(&out, "handoff-epcis-all.jsonld", "{\"b\":2}").expect("saved");
    assert_eq!(
        a.path,
        out.join("handoff-epcis-all.jsonld").display().to_string()
    );
    assert_eq!(
        b.path,
        out.join("handoff-epcis-all-1.jsonld").display().to_string()
    );
    assert_eq!(std::fs::read_to_string(&a.path).expect("a"), "{\"a\":1}");
    assert_eq!(std::fs::read_to_string(&b.path).expect("b"), "{\"b\":2}");
    for bad in ["../escape.jsonld", "/etc/passwd", "a/b.xml", ".hidden", ""] {
        let e = handoff_app_lib::save_file(&out, bad, "x").expect_err(bad);
        assert_eq!(e.code, "BAD_FILE_NAME", "{bad}");
    }
    assert!(!dir.path().join("escape.jsonld").exists());
    // Only the two saves are there: no partial file left behind.
    let names: Vec<_> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

/// What the window's "PDF" evidence pack saves: the node's bytes as they were, sent to the
/// `save_file` command as base64, beside an earlier save of the same name; content that is
/// no base64, a name that would leave the folder, and neither or both kinds of content
/// answer their codes and write nothing.
#[test]
fn saved_binary_exports_arrive_byte_for_byte() {
    use base64::Engine;
    use handoff_app_lib::commands::save_content;
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("Downloads");
    // A PDF's binary comment and every byte value: no UTF-8 text.
    let pdf: Vec<u8> = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        .iter()
        .copied()
        .chain((0..=255u8).cycle().take(5_000))
        .collect();
    assert!(String::from_utf8(pdf.clone()).is_err());
    let b64 = base64::engine::general_purpose::STANDARD.encode(&pdf);
    let a = handoff_app_lib::save_base64(&out, "evidence-pack.pdf", &b64).expect("saved");
    let b = save_content(&out, "evidence-pack.pdf", None, Some(&b64)).expect("saved again");
    assert_eq!(a.path, out.join("evidence-pack.pdf").display().to_string());
    assert_eq!(
        b.path,
        out.join("evidence-pack-1.pdf").display().to_string()
    );
    assert_eq!(std::fs::read(&a.path).expect("a"), pdf);
    assert_eq!(std::fs::read(&b.path).expect("b"), pdf);
    // Text still saves as text through the same command.
    let csv = save_content(&out, "portfolio.csv", Some("id,kind\n"), None).expect("csv");
    assert_eq!(
        std::fs::read_to_string(&csv.path).expect("csv"),
        "id,kind\n"
    );

    let e = handoff_app_lib::save_base64(&out, "broken.pdf", "%PDF-1.7 is not base64")
        .expect_err("no base64");
    assert_eq!(
        (e.code.as_str(), e.kind),
        ("BAD_BASE64", ErrorKind::Input),
        "{e:?}"
    );
    let e = handoff_app_lib::save_base64(&out, "../escape.pdf", &b64).expect_err("path");
    assert_eq!(e.code, "BAD_FILE_NAME", "{e:?}");
    for (text, data) in [(None, None), (Some("x"), Some(b64.as_str()))] {
        let e = save_content(&out, "either.pdf", text, data).expect_err("one content");
        assert_eq!(e.code, "BAD_ARGUMENT", "{e:?}");
    }
    assert!(!dir.path().join("escape.pdf").exists());
    // The two PDFs and the CSV, nothing else: no partial file left behind.
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["evidence-pack-1.pdf", "evidence-pack.pdf", "portfolio.csv"],
        "{names:?}"
    );
}

/// Joining by invitation refuses, with its code and nothing changed, a link that is not
/// an invitation and an invitation given together with peers or a genesis (the link
/// carries its own); the folder stays on its embedded chain.
#[test]
fn a_bad_invitation_is_refused_with_its_code_and_the_app_stays_embedded() {
    let dir = tempfile::tempdir().expect("tmp");
    let node = demo_node(dir.path(), "Harbor Logistics");
    let set = |invite: &str, peers: Vec<String>| {
        node.call(NetworkSetRequest {
            peers,
            genesis: None,
            invite: Some(invite.into()),
        })
    };
    let e = set("https://example.org/not-an-invitation", vec![]).expect_err("refused");
    assert_eq!(e.code, "BAD_INVITE", "{e:?}");
    let e = set("handoff://join?v=1", vec!["/ip4/10.0.0.5/tcp/4001".into()]).expect_err("refused");
    assert_eq!(e.code, "BAD_REQUEST", "{e:?}");
    assert!(e.message.contains("alone"), "{}", e.message);
    let st = node.call(StatusRequest {}).expect("status");
    assert_eq!(st.mode.as_deref(), Some("embedded"));
    assert!(
        !dir.path().join("light").exists(),
        "no light store was made"
    );
    assert!(!dir.path().join("keys").read_dir().expect("keys").any(|e| {
        e.expect("entry")
            .file_name()
            .to_string_lossy()
            .contains("Quay")
    }));
}
