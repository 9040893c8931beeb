//! The Handoff desktop app as warehouse staff use it, in the real app window (Tauri +
//! WebKitGTK under Xvfb, driven through tauri-driver and WebKitWebDriver): scan a demo
//! pallet the way a scanner types it, see its timeline, ship it to the grocer, switch
//! identity, accept it with one bag missing; then, after the app has exited, check with
//! the `handoff` command line on the same data folder that the ledger says exactly that.
//! A lender reviews a receivable's evidence and funds it, sees a refused attempt to ship
//! pledged goods as an alert, and releases them (English and Chinese screenshots).
//!
//! Needs `HANDOFF_APP`, `HANDOFF_CLI` and `TAURI_DRIVER` (paths) and a display;
//! `cargo xtask test` sets all of them. Screenshots go to `HANDOFF_ARTIFACTS`
//! (default `test-artifacts/`).

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const PALLET: &str = "/00/306141410000000068";
const LOST_BAG: &str = "/01/00614141025015/21/E261000300";
const KEPT_BAG: &str = "/01/00614141025015/21/E261000299";
/// The pallet's SSCC as a scanner sends it: symbology identifier ]C1, then AI 00.
const PALLET_SCAN: &str = "]C100306141410000000068";

fn env_path(name: &str) -> PathBuf {
    PathBuf::from(
        std::env::var_os(name).unwrap_or_else(|| {
            panic!("{name} is not set: run this test through `cargo xtask test`")
        }),
    )
}

fn cli(cli: &Path, data: &Path, args: &[&str]) -> Value {
    let out = Command::new(cli)
        .arg("--data")
        .arg(data)
        .arg("--json")
        .args(args)
        .output()
        .expect("run handoff");
    assert!(
        out.status.success(),
        "handoff {args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Driver(std::process::Child);

impl Drop for Driver {
    /// SIGTERM, not SIGKILL: tauri-driver then stops the WebKitWebDriver it started.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn css(s: &str) -> Locator<'_> {
    Locator::Css(s)
}

async fn wait(c: &Client, sel: &str) -> Element {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(css(sel))
        .await
        .unwrap_or_else(|e| panic!("{sel} did not appear: {e}"))
}

async fn shot(c: &Client, dir: &Path, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("app-{name}.png")), png).expect("write screenshot");
}

async fn scan(c: &Client, code: &str) {
    // Go to the Scan screen first when another screen is shown.
    if c.find(css("[data-testid='scan-input']")).await.is_err() {
        wait(c, "[data-testid='nav-scan']")
            .await
            .click()
            .await
            .expect("nav");
    }
    let input = wait(c, "[data-testid='scan-input']").await;
    // A keyboard-wedge scanner: the whole code as keystrokes, then Enter.
    input
        .send_keys(&format!("{code}\u{E007}"))
        .await
        .expect("type the scan");
}

async fn text_of(c: &Client, sel: &str) -> String {
    wait(c, sel).await.text().await.expect("text")
}

async fn until_text(c: &Client, sel: &str, want: &str) {
    until_text_within(c, sel, want, Duration::from_secs(30)).await;
}

async fn until_text_within(c: &Client, sel: &str, want: &str, limit: Duration) {
    let t0 = Instant::now();
    loop {
        if let Ok(e) = c.find(css(sel)).await
            && let Ok(t) = e.text().await
            && t.contains(want)
        {
            return;
        }
        if t0.elapsed() > limit {
            let shown = match c.find(css(sel)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => "(not on the screen)".into(),
            };
            let _ = std::fs::write(
                artifacts_dir().join("app-failed.png"),
                c.screenshot().await.unwrap_or_default(),
            );
            panic!("{sel} never showed '{want}'; it shows: {shown}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A scan with a wrong check digit is answered with its rule.
async fn a_bad_scan_is_explained(c: &Client) {
    scan(c, "(01)00614141025016").await;
    until_text(c, "[data-testid='error-banner']", "SCAN_BAD_CHECK_DIGIT").await;
}

/// Starts tauri-driver and a WebDriver session that launches the app with `args`.
async fn open_app(app: &Path, driver: &Path, args: Value) -> (Driver, Client) {
    let port = free_port();
    let native = free_port();
    let d = Driver(
        Command::new(driver)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .spawn()
            .expect("start tauri-driver"),
    );
    let caps = json!({
        "browserName": "wry",
        "tauri:options": { "application": app, "args": args }
    });
    let caps = caps.as_object().cloned().expect("caps");
    let t0 = Instant::now();
    loop {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return (d, c),
            Err(_) if t0.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("no WebDriver session with the app: {e}"),
        }
    }
}

/// The processes whose command line names `data` (pid, state, command line), from /proc.
fn processes_using(data: &Path) -> Vec<String> {
    let needle = data.to_string_lossy().into_owned();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let dir = e.path();
        let Ok(cmd) = std::fs::read(dir.join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(&needle) {
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
            let state = stat.rsplit(") ").next().and_then(|r| r.split(' ').next());
            out.push(format!(
                "{} [{}] {}",
                e.file_name().to_string_lossy(),
                state.unwrap_or("?"),
                cmd.trim()
            ));
        }
    }
    out
}

fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("HANDOFF_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("test-artifacts"));
    std::fs::create_dir_all(&dir).expect("artifacts folder");
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unusable_data_folder_is_a_clear_message_not_a_crash() {
    let app = env_path("HANDOFF_APP");
    let driver = env_path("TAURI_DRIVER");
    let dir = tempfile::tempdir().expect("tmp");
    // The data folder would have to live inside a file: it cannot be created.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").expect("write");
    let (_driver, c) = open_app(&app, &driver, json!(["--data", file.join("data")])).await;
    let banner = text_of(&c, "[data-testid='error-banner']").await;
    assert!(banner.contains("DATA_FOLDER"), "{banner}");
    assert!(banner.contains("not-a-folder"), "{banner}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    shot(&c, &artifacts_dir(), "0-unusable-folder").await;
    let still = text_of(&c, "[data-testid='error-banner']").await;
    assert!(
        still.contains("DATA_FOLDER"),
        "the message stays until dismissed: {still}"
    );
    // The app still works as far as it can.
    a_bad_scan_is_explained(&c).await;
    c.close().await.expect("close");
}

/// The app window turns WebKitGTK's camera support on, so the camera button is there; on
/// a machine with no camera (like this test's Xvfb display) pressing it says so plainly.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_camera_the_camera_button_says_so() {
    let app = env_path("HANDOFF_APP");
    let driver = env_path("TAURI_DRIVER");
    let dir = tempfile::tempdir().expect("tmp");
    let (_driver, c) = open_app(&app, &driver, json!(["--data", dir.path().join("data")])).await;
    wait(&c, "[data-testid='nav-scan']")
        .await
        .click()
        .await
        .expect("nav");
    wait(&c, "[data-testid='camera-button']")
        .await
        .click()
        .await
        .expect("press the camera button");
    let banner = text_of(&c, "[data-testid='error-banner']").await;
    assert!(banner.contains("CAMERA_NOT_FOUND"), "{banner}");
    shot(&c, &artifacts_dir(), "0-no-camera").await;
    // The app still works as far as it can.
    a_bad_scan_is_explained(&c).await;
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn staff_ship_a_pallet_and_the_grocer_receives_it_with_one_bag_missing() {
    let app = env_path("HANDOFF_APP");
    let handoff = env_path("HANDOFF_CLI");
    let driver = env_path("TAURI_DRIVER");
    let artifacts = artifacts_dir();
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    cli(&handoff, &data, &["demo", "--quiet"]);

    let (_driver, c) = open_app(
        &app,
        &driver,
        json!(["--data", data, "--as", "Harbor Logistics"]),
    )
    .await;

    // Scan the warehouse's pallet: the item appears with its holder and verdict.
    until_text(&c, "[data-testid='whoami']", "Harbor Logistics").await;
    shot(&c, &artifacts, "1-home").await;
    scan(&c, PALLET_SCAN).await;
    let card = text_of(&c, "[data-testid='item-card']").await;
    assert!(card.contains(PALLET), "{card}");
    assert!(card.contains("Harbor Logistics"), "{card}");
    shot(&c, &artifacts, "2-scanned").await;

    // Its timeline.
    wait(&c, "[data-testid='open-timeline']")
        .await
        .click()
        .await
        .expect("open timeline");
    wait(&c, "[data-testid='timeline']").await;
    let events = c
        .find_all(css("[data-testid='timeline-event']"))
        .await
        .expect("events");
    assert!(!events.is_empty(), "the pallet has a history");
    shot(&c, &artifacts, "3-timeline").await;

    // Ship it to the grocer.
    wait(&c, "[data-testid='nav-scan']")
        .await
        .click()
        .await
        .expect("nav");
    scan(&c, PALLET_SCAN).await;
    wait(&c, "[data-testid='item-card']").await;
    wait(&c, "[data-testid='ship-to']")
        .await
        .select_by_value("Corner Grocer")
        .await
        .expect("choose the grocer");
    wait(&c, "[data-testid='ship-button']")
        .await
        .click()
        .await
        .expect("ship");
    wait(&c, "[data-testid='notice-banner']").await;
    shot(&c, &artifacts, "4-shipped").await;

    // Switch identity: now acting as the grocer.
    wait(&c, "[data-testid='nav-node']")
        .await
        .click()
        .await
        .expect("nav");
    wait(&c, "[data-testid='identity-select']")
        .await
        .select_by_value("Corner Grocer")
        .await
        .expect("switch identity");
    until_text(&c, "[data-testid='node-org']", "Corner Grocer").await;
    // Network peers for later, a pairing code, a backup.
    wait(&c, "[data-testid='peers-input']")
        .await
        .send_keys("/ip4/10.0.0.5/tcp/4001")
        .await
        .expect("type a peer");
    wait(&c, "[data-testid='peers-save']")
        .await
        .click()
        .await
        .expect("save peers");
    wait(&c, "[data-testid='notice-banner']").await;
    // A phone's pairing code: the address phones reach the org's node at, then a
    // one-time ticket as a QR code of the link.
    wait(&c, "[data-testid='pair-base']")
        .await
        .send_keys("http://192.168.1.20:8080")
        .await
        .expect("type the node's address");
    wait(&c, "[data-testid='pair-make']")
        .await
        .click()
        .await
        .expect("pairing code");
    wait(&c, "[data-testid='pair-ticket'] .pair-qr svg").await;
    wait(&c, "[data-testid='backup-button']")
        .await
        .click()
        .await
        .expect("backup");
    until_text(&c, "[data-testid='notice-banner']", "backups").await;
    shot(&c, &artifacts, "5-node").await;

    // Every event as an EPCIS document, which the app saves and names.
    wait(&c, "[data-testid='nav-exchange']")
        .await
        .click()
        .await
        .expect("nav");
    wait(&c, "[data-testid='epcis-export-all']")
        .await
        .click()
        .await
        .expect("export everything");
    until_text(&c, "[data-testid='notice-banner']", "Exported").await;
    shot(&c, &artifacts, "5b-epcis-exported").await;
    let said = text_of(&c, "[data-testid='notice-banner'] .banner-message").await;
    let saved = PathBuf::from(
        said.split_once(" to ")
            .map(|(_, p)| p.trim())
            .unwrap_or_else(|| panic!("no path in '{said}'")),
    );
    let exported: Value = serde_json::from_str(
        &std::fs::read_to_string(&saved).unwrap_or_else(|e| panic!("{}: {e}", saved.display())),
    )
    .expect("the saved file is JSON");
    let events = exported["epcisBody"]["eventList"]
        .as_array()
        .expect("an EPCIS document");
    assert!(
        said.contains(&format!("Exported {} events", events.len())),
        "{said}"
    );
    assert!(
        events.iter().any(|e| e.to_string().contains(PALLET)),
        "the pallet's events are in the export"
    );
    let _ = std::fs::remove_file(&saved);

    // Receive the pallet with one bag missing: the receiving tally counts the pallet's
    // bags from one scan of the pallet, and one bag is marked missing.
    click(&c, "nav-inbox").await;
    let card = incoming_card(&c, PALLET).await;
    tally_one_missing(&c, &card, PALLET_SCAN, Some(LOST_BAG)).await;
    shot(&c, &artifacts, "6-inbox").await;
    card.find(css("[data-testid='accept-button']"))
        .await
        .expect("accept button")
        .click()
        .await
        .expect("accept");
    wait(&c, "[data-testid='notice-banner']").await;
    shot(&c, &artifacts, "7-accepted").await;

    // Scan to item on screen, as staff feel it: ten scans of the received pallet.
    wait(&c, "[data-testid='nav-scan']")
        .await
        .click()
        .await
        .expect("nav");
    let mut times = Vec::new();
    for _ in 0..10 {
        scan(&c, PALLET_SCAN).await;
        let t0 = Instant::now();
        loop {
            let e = wait(&c, "[data-testid='scan-result']").await;
            // The UI clears the timing on Enter and sets it once the item is painted.
            if let Ok(Some(ms)) = e.attr("data-scan-ms").await
                && let Ok(ms) = ms.parse::<f64>()
            {
                times.push(ms);
                break;
            }
            assert!(t0.elapsed() < Duration::from_secs(10), "no scan timing");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let card = text_of(&c, "[data-testid='item-card']").await;
    assert!(card.contains("Corner Grocer"), "{card}");
    times.sort_by(f64::total_cmp);
    std::fs::write(
        artifacts.join("app-scan-timings.json"),
        json!({"scan_to_item_ms": times, "median_ms": times[times.len() / 2]}).to_string(),
    )
    .expect("timings");
    // Close the window as a user does: the app exits with its last window, on its own
    // (not by the driver's teardown). The session goes with the window.
    c.close_window().await.expect("close the window");
    let _ = c.close().await;
    drop(_driver);
    // The app lets go of its folder as it exits (sled holds a lock while open).
    let t0 = Instant::now();
    loop {
        let st = Command::new(&handoff)
            .arg("--data")
            .arg(&data)
            .arg("status")
            .output()
            .expect("run handoff status");
        if st.status.success() {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the app has not let go of its data folder 60 s after its window closed; \
             processes on the folder: {:?}; status said: {}",
            processes_using(&data),
            String::from_utf8_lossy(&st.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The peers were kept, the backup opens as a chain of the same height.
    let net = std::fs::read_to_string(data.join("network.json")).expect("network.json");
    assert!(net.contains("/ip4/10.0.0.5/tcp/4001"), "{net}");
    let backups: Vec<PathBuf> = std::fs::read_dir(data.join("backups"))
        .expect("backups")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert_eq!(backups.len(), 1);
    let st = cli(&handoff, &backups[0], &["status"]);
    assert!(st["height"].as_u64().is_some_and(|h| h > 0), "{st}");

    // The ledger, read by the command line on the same folder after the app exited.
    let show = |code: &str| cli(&handoff, &data, &["item", "show", code]);
    let pallet = show(PALLET);
    assert_eq!(pallet["item"]["custodian"]["name"], "Corner Grocer");
    let kept = show(KEPT_BAG);
    assert_eq!(kept["item"]["custodian"]["name"], "Corner Grocer");
    let lost = show(LOST_BAG);
    assert_eq!(lost["item"]["custodian"]["name"], "Harbor Logistics");
    assert_eq!(lost["item"]["exception"]["kind"], "missing");
    let inbox = cli(
        &handoff,
        &data,
        &["--as", "Corner Grocer", "handoff", "inbox"],
    );
    let open_for_pallet = inbox["incoming"]
        .as_array()
        .expect("incoming")
        .iter()
        .any(|h| h.to_string().contains(PALLET));
    assert!(!open_for_pallet, "the pallet's handoff is closed: {inbox}");
}

/// The inbox card of the incoming handoff that lists `needle` (waits for it: a light
/// node's index may be a block behind).
async fn incoming_card(c: &Client, needle: &str) -> Element {
    let t0 = Instant::now();
    loop {
        for h in c
            .find_all(css("[data-testid='handoff-incoming']"))
            .await
            .expect("cards")
        {
            if h.text().await.unwrap_or_default().contains(needle) {
                return h;
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "no incoming handoff lists {needle}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Receives with the tally: opens it on `card`, scans `scan` (a pallet counts its bags),
/// marks one bag missing (`bag`, or the first bag listed) and waits for the acceptance to
/// say so. Answers the bag marked missing.
async fn tally_one_missing(c: &Client, card: &Element, scan: &str, bag: Option<&str>) -> String {
    card.find(css("[data-testid='tally-open']"))
        .await
        .expect("the tally button")
        .click()
        .await
        .expect("open the tally");
    wait(c, "[data-testid='receive-scan']")
        .await
        .send_keys(&format!("{scan}\u{E007}"))
        .await
        .expect("scan what arrived");
    until_text(c, "[data-testid='tally-last']", "Counted").await;
    wait(c, "[data-testid='tally-group'] summary")
        .await
        .click()
        .await
        .expect("show the bags");
    let row = match bag {
        Some(b) => wait(c, &format!("[data-testid='entry-{b}']")).await,
        None => wait(c, "[data-testid^='entry-/01/']").await,
    };
    let lost = row
        .attr("data-testid")
        .await
        .expect("attr")
        .expect("testid")
        .trim_start_matches("entry-")
        .to_string();
    row.find(css("[data-testid='mark-missing']"))
        .await
        .expect("mark missing")
        .click()
        .await
        .expect("mark missing");
    until_text(c, "[data-testid='accept-button']", "1 missing").await;
    lost
}

/// Waits until an element matching `sel` exists.
async fn until_there(c: &Client, sel: &str) {
    let t0 = Instant::now();
    while c.find(css(sel)).await.is_err() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "{sel} never appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(c: &Client, testid: &str) {
    wait(c, &format!("[data-testid='{testid}']"))
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {testid}: {e}"));
}

async fn act_as(c: &Client, org: &str) {
    click(c, "nav-node").await;
    wait(c, "[data-testid='identity-select']")
        .await
        .select_by_value(org)
        .await
        .expect("switch identity");
    until_text(c, "[data-testid='node-org']", org).await;
}

async fn open_lender_row(c: &Client, id: &str) {
    click(c, "nav-lender").await;
    wait(c, &format!("[data-testid='lender-row'][data-id='{id}']"))
        .await
        .click()
        .await
        .expect("open the asset");
    wait(c, "[data-testid='fin-evidence']").await;
    // The asset card at the top of the view, as the user sees it on opening.
    c.execute(
        "document.querySelector(\"[data-testid='fin-asset-card']\").scrollIntoView({block: 'start'})",
        vec![],
    )
    .await
    .expect("scroll");
}

/// A lender in the real app window: reviews a receivable's trade evidence line by line and
/// funds it; sees a collateral alert after the warehouse's attempt to ship pledged goods
/// was refused; releases the goods, and the same shipment then goes through. The
/// dashboard and the asset detail are photographed in English and Chinese.
#[tokio::test(flavor = "multi_thread")]
async fn a_lender_reviews_evidence_funds_a_receivable_and_sees_a_refused_move_of_pledged_goods() {
    let app = env_path("HANDOFF_APP");
    let handoff = env_path("HANDOFF_CLI");
    let driver = env_path("TAURI_DRIVER");
    let artifacts = artifacts_dir();
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("data");
    let h = |args: &[&str]| cli(&handoff, &data, args);
    // The trade, made with the command line before the app opens the folder: a farm's
    // delivery to a shop (with its purchase order) invoiced, confirmed, offered on by the
    // bank and the offer accepted; a bag in a warehouse pledged to the bank.
    h(&[
        "init",
        "--org",
        "Acme Farms",
        "--prefix",
        "0614141",
        "--role",
        "producer",
    ]);
    h(&["org", "add", "Corner Shop", "--role", "retailer"]);
    h(&["org", "add", "First Bank", "--role", "lender"]);
    h(&["org", "add", "Harbor Store", "--role", "warehouse"]);
    let gtin = "00614141000012";
    h(&[
        "product",
        "define",
        "--gtin",
        gtin,
        "--name",
        "Arabica 1 kg",
    ]);
    let sn = |s: &str| format!("(01){gtin}(21){s}");
    h(&["item", "commission", &sn("SN1"), &sn("SN2"), &sn("SN3")]);
    let p = h(&[
        "handoff",
        "propose",
        "--to",
        "Corner Shop",
        "--ownership",
        "--doc",
        "po=PO-7",
        &sn("SN1"),
        &sn("SN2"),
    ]);
    let delivery = p["handoff"].as_str().expect("handoff").to_string();
    h(&["--as", "Corner Shop", "handoff", "accept", &delivery]);
    for org in ["Acme Farms", "Corner Shop", "First Bank", "Harbor Store"] {
        h(&["--as", org, "finance", "enable"]);
    }
    let inv = h(&[
        "finance",
        "receivable",
        "issue",
        "--buyer",
        "Corner Shop",
        "--invoice",
        "INV-0042",
        "--currency",
        "EUR",
        "--line",
        &format!("{delivery}=1250.00"),
        "--due",
        "2099-12-31",
    ]);
    let rid = inv["id"].as_str().expect("receivable").to_string();
    h(&[
        "--as",
        "Corner Shop",
        "finance",
        "receivable",
        "confirm",
        &rid,
    ]);
    h(&[
        "finance",
        "receivable",
        "request",
        &rid,
        "--lender",
        "First Bank",
    ]);
    h(&[
        "--as",
        "First Bank",
        "finance",
        "receivable",
        "offer",
        &rid,
        "--advance",
        "80",
        "--fee",
        "12.50",
    ]);
    h(&["finance", "receivable", "accept-offer", &rid]);
    let to_store = h(&["handoff", "propose", "--to", "Harbor Store", &sn("SN3")]);
    let hs = to_store["handoff"].as_str().expect("handoff").to_string();
    h(&["--as", "Harbor Store", "handoff", "accept", &hs]);
    let receipt = h(&[
        "--as",
        "Harbor Store",
        "finance",
        "receipt",
        "issue",
        "--owner",
        "Acme Farms",
        &sn("SN3"),
    ]);
    let wr = receipt["id"].as_str().expect("receipt").to_string();
    h(&[
        "finance",
        "receipt",
        "pledge",
        &wr,
        "--lender",
        "First Bank",
    ]);
    h(&[
        "--as",
        "First Bank",
        "finance",
        "receipt",
        "accept-pledge",
        &wr,
    ]);

    let (_driver, c) = open_app(&app, &driver, json!(["--data", data, "--as", "First Bank"])).await;
    until_text(&c, "[data-testid='whoami']", "First Bank").await;

    // The dashboard: the receivable awaiting funds and the pledged receipt.
    click(&c, "nav-lender").await;
    wait(&c, &format!("[data-testid='lender-row'][data-id='{rid}']")).await;
    wait(&c, &format!("[data-testid='lender-row'][data-id='{wr}']")).await;
    let exposure = text_of(&c, "[data-testid='chart-exposure']").await;
    assert!(exposure.contains("Corner Shop"), "{exposure}");
    let total = text_of(&c, "[data-testid='kpi-outstanding']").await;
    assert!(
        total.contains("EUR 1,250.00"),
        "one claim of 1,250 is outstanding: {total}"
    );
    shot(&c, &artifacts, "lender-1-dashboard-en").await;

    // The evidence: both invoiced bags are accepted handoffs with the purchase order.
    open_lender_row(&c, &rid).await;
    let ev = wait(&c, "[data-testid='fin-evidence']").await;
    assert_eq!(
        ev.attr("data-matched").await.expect("attr").as_deref(),
        Some("true")
    );
    let lines = c
        .find_all(css("[data-testid='ev-line']"))
        .await
        .expect("lines");
    assert_eq!(lines.len(), 2);
    for l in &lines {
        let t = l.text().await.expect("text");
        assert!(t.contains("PO-7") && t.contains("Corner Shop"), "{t}");
    }
    shot(&c, &artifacts, "lender-2-asset-en").await;

    // Fund it (a step without a form goes at once).
    click(&c, "fin-do-fund").await;
    until_there(&c, "[data-testid='fin-status'][data-status='funded']").await;
    shot(&c, &artifacts, "lender-3-funded").await;

    // The warehouse tries to ship the pledged bag: refused.
    act_as(&c, "Harbor Store").await;
    let ship = |c: &Client| {
        let c = c.clone();
        let bag = sn("SN3");
        async move {
            scan(&c, &bag).await;
            wait(&c, "[data-testid='item-card']").await;
            wait(&c, "[data-testid='ship-to']")
                .await
                .select_by_value("Corner Shop")
                .await
                .expect("choose the shop");
            click(&c, "ship-button").await;
        }
    };
    ship(&c).await;
    until_text(&c, "[data-testid='error-banner']", "PLEDGED").await;
    shot(&c, &artifacts, "lender-4-ship-refused").await;

    // The bank sees the attempt as a collateral alert, and releases the goods.
    act_as(&c, "First Bank").await;
    click(&c, "nav-lender").await;
    until_text(
        &c,
        "[data-testid='lender-alerts']",
        "An attempt to move pledged goods was refused",
    )
    .await;
    shot(&c, &artifacts, "lender-5-alert").await;
    open_lender_row(&c, &wr).await;
    until_text(
        &c,
        "[data-testid='fin-detail-alerts']",
        "An attempt to move pledged goods was refused",
    )
    .await;
    click(&c, "fin-do-release").await;
    click(&c, "fin-step-submit").await;
    until_there(&c, "[data-testid='fin-status'][data-status='released']").await;

    // Now the same shipment goes through.
    act_as(&c, "Harbor Store").await;
    ship(&c).await;
    until_there(&c, "[data-testid='notice-banner']").await;
    assert!(
        c.find(css("[data-testid='error-banner']")).await.is_err(),
        "the shipment after release is not refused"
    );
    shot(&c, &artifacts, "lender-6-shipped-after-release").await;

    // The lender's dashboard and asset detail in Chinese.
    click(&c, "nav-node").await;
    click(&c, "lang-zh").await;
    act_as(&c, "First Bank").await;
    click(&c, "nav-lender").await;
    wait(&c, &format!("[data-testid='lender-row'][data-id='{rid}']")).await;
    shot(&c, &artifacts, "lender-7-dashboard-zh").await;
    open_lender_row(&c, &rid).await;
    shot(&c, &artifacts, "lender-8-asset-zh").await;
    click(&c, "nav-node").await;
    click(&c, "lang-en").await;
    c.close().await.expect("close");

    // After the app: the chain says the receivable is funded and the receipt released.
    std::thread::sleep(Duration::from_secs(1));
    let shown = h(&["--as", "First Bank", "finance", "show", &rid]);
    assert_eq!(shown["asset"]["status"], "funded", "{shown}");
    let shown = h(&["--as", "First Bank", "finance", "show", &wr]);
    assert_eq!(shown["asset"]["status"], "released", "{shown}");
}

/// A full node (the demo chain's validator) running as a child process; stopped on drop.
struct FullNode {
    child: std::process::Child,
    /// Its libp2p listen addresses (with `/p2p/<peer id>`), from its `ready` line.
    listen: Vec<String>,
}

impl FullNode {
    /// `handoff --data DATA node run --validator --no-mdns --listen 127.0.0.1:0`, once it
    /// has printed its `ready` line.
    fn start(cli: &Path, data: &Path) -> FullNode {
        use std::io::BufRead;
        let log = std::fs::File::create(data.with_extension("log")).expect("node log");
        let mut child = Command::new(cli)
            .arg("--data")
            .arg(data)
            .args(["node", "run", "--validator", "--no-mdns"])
            .args(["--listen", "/ip4/127.0.0.1/tcp/0"])
            .stdout(std::process::Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start the full node");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if line.contains("\"ready\"") {
                    let _ = tx.send(line);
                }
            }
        });
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) else {
            let _ = child.kill();
            panic!(
                "the full node did not start: {}",
                std::fs::read_to_string(data.with_extension("log")).unwrap_or_default()
            );
        };
        let ready: Value = serde_json::from_str(&line).expect("the ready line is JSON");
        let listen = ready["listen"]
            .as_array()
            .expect("listen addresses")
            .iter()
            .filter_map(|a| a.as_str().map(String::from))
            .collect();
        FullNode { child, listen }
    }
}

impl Drop for FullNode {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A number as the page shows it (grouped by the locale: 1,234).
fn number(s: &str) -> u64 {
    s.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number in '{s}'"))
}

/// The warehouse's own app as a light node of the demo chain (its full node in another
/// folder, reached over libp2p): Home opens with the warehouse's stock from its own
/// verified index and says how fresh it is; the grocer returns a pallet, which the inbox
/// lists by product and the warehouse receives with a tally (one bag missing); Stock
/// then holds the pallet's bags and the Item screen shows one, verified. Desktop and
/// phone size, English and Chinese.
#[tokio::test(flavor = "multi_thread")]
async fn a_warehouse_light_node_opens_home_tallies_a_returned_pallet_and_shows_stock() {
    let app = env_path("HANDOFF_APP");
    let handoff = env_path("HANDOFF_CLI");
    let driver = env_path("TAURI_DRIVER");
    let artifacts = artifacts_dir();
    let dir = tempfile::tempdir().expect("tmp");
    let full = dir.path().join("full");
    let light = dir.path().join("light");
    cli(&handoff, &full, &["demo", "--quiet"]);
    let genesis = cli(&handoff, &full, &["genesis"])["genesis"]
        .as_str()
        .expect("genesis")
        .to_string();
    cli(
        &handoff,
        &light,
        &[
            "--as",
            "Harbor Logistics",
            "light",
            "init",
            "--genesis",
            &genesis,
            "--org-key-from",
            full.to_str().expect("utf-8 path"),
        ],
    );
    let node = FullNode::start(&handoff, &full);
    // The grocer sends one of its pallets back to the warehouse (through the running
    // node: the command line forwards to it).
    let on_full = |args: &[&str]| cli(&handoff, &full, args);
    let grocer = on_full(&["--as", "Corner Grocer", "stock"]);
    let pallet = grocer["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["inside"].is_null() && c["items"].as_u64().is_some_and(|n| n > 1))
        .unwrap_or_else(|| panic!("the grocer holds a full pallet: {grocer}"));
    let sscc = pallet["sscc"].as_str().expect("sscc").to_string();
    let bags = pallet["items"].as_u64().expect("items");
    let proposed = on_full(&[
        "--as",
        "Corner Grocer",
        "handoff",
        "propose",
        "--to",
        "Harbor Logistics",
        &format!("(00){sscc}"),
    ]);
    let handoff_id = proposed["handoff"]
        .as_str()
        .expect("handoff id")
        .to_string();
    let before = on_full(&["--as", "Harbor Logistics", "stock"])["totals"]["items"]
        .as_u64()
        .expect("the warehouse's items");

    let mut args = vec![
        json!("--data"),
        json!(light),
        json!("--as"),
        json!("Harbor Logistics"),
        json!("--no-mdns"),
    ];
    for a in &node.listen {
        args.extend([json!("--peer"), json!(a)]);
    }
    let (_driver, c) = open_app(&app, &driver, Value::Array(args)).await;
    until_text(&c, "[data-testid='whoami']", "Harbor Logistics").await;
    // English first (the window keeps the language a user chose last time).
    click(&c, "nav-node").await;
    click(&c, "lang-en").await;
    click(&c, "nav-home").await;

    // Home first: the warehouse's stock from its own verified index, as fresh as the
    // full node's tip, with the grocer's pallet expected.
    // (The first sync reads every block of the demo chain's filters: up to 2 minutes on a
    // loaded 2-core machine.)
    until_text_within(
        &c,
        "[data-testid='home-screen'] [data-testid='index-freshness']",
        "From this node's own verified index: as of block",
        Duration::from_secs(120),
    )
    .await;
    until_text(&c, "[data-testid='home-arrival']", "Corner Grocer").await;
    let t0 = Instant::now();
    loop {
        let shown = number(&text_of(&c, "[data-testid='home-items']").await);
        if shown == before {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "Home shows {shown} items, the full node's index {before}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        c.find(css("[data-testid='home-note']")).await.is_err(),
        "no light-node note on Home"
    );
    shot(&c, &artifacts, "light-1-home").await;

    // Stock, from the index too.
    click(&c, "nav-stock").await;
    wait(
        &c,
        "[data-testid='stock-screen'] [data-testid='index-freshness']",
    )
    .await;
    let stock = text_of(&c, "[data-testid='stock-screen']").await;
    assert!(stock.contains("Espresso Roast 250 g"), "{stock}");
    shot(&c, &artifacts, "light-2-stock").await;

    // The inbox lists the pallet by product; the tally counts what arrived.
    click(&c, "nav-inbox").await;
    let card = incoming_card(&c, &sscc).await;
    let listed = card.text().await.expect("card text");
    assert!(listed.contains("Espresso Roast 250 g"), "{listed}");
    assert!(
        c.find(css("[data-testid='light-node-note']"))
            .await
            .is_err(),
        "the inbox answers from the index"
    );
    let lost = tally_one_missing(&c, &card, &format!("]C100{sscc}"), None).await;
    assert_eq!(
        number(&text_of(&c, "[data-testid='tally-expected']").await),
        bags
    );
    assert_eq!(
        number(&text_of(&c, "[data-testid='tally-scanned']").await),
        bags - 1
    );
    assert_eq!(
        number(&text_of(&c, "[data-testid='tally-missing']").await),
        1
    );
    shot(&c, &artifacts, "light-3-tally").await;
    card.find(css("[data-testid='accept-button']"))
        .await
        .expect("accept button")
        .click()
        .await
        .expect("accept");
    until_text(&c, "[data-testid='notice-banner']", "Queued").await;
    shot(&c, &artifacts, "light-4-accepted").await;

    // Committed by the validators; the index follows: Home and Stock now hold the bags
    // that arrived.
    click(&c, "nav-home").await;
    let t0 = Instant::now();
    loop {
        if let Ok(e) = c.find(css("[data-testid='home-items']")).await
            && let Ok(t) = e.text().await
            && number(&t) == before + bags - 1
        {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "Home never showed the {} bags received",
            bags - 1
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    shot(&c, &artifacts, "light-5-home-after").await;

    // An item that arrived, verified against a certified block.
    scan(&c, &format!("(00){sscc}")).await;
    until_text(&c, "[data-testid='item-card']", "Harbor Logistics").await;
    until_text(&c, "[data-testid='verified-at']", "Verified against block").await;
    shot(&c, &artifacts, "light-6-item").await;

    // Chinese: Home, Stock, the inbox and the item.
    click(&c, "nav-node").await;
    click(&c, "lang-zh").await;
    click(&c, "nav-home").await;
    until_text(&c, "[data-testid='index-freshness']", "截至区块").await;
    shot(&c, &artifacts, "light-7-home-zh").await;
    click(&c, "nav-stock").await;
    wait(
        &c,
        "[data-testid='stock-screen'] [data-testid='index-freshness']",
    )
    .await;
    shot(&c, &artifacts, "light-8-stock-zh").await;
    scan(&c, &format!("(00){sscc}")).await;
    until_text(&c, "[data-testid='verified-at']", "已校验").await;
    shot(&c, &artifacts, "light-9-item-zh").await;

    // Phone size: the same screens fit a phone (Chinese, then English).
    c.set_window_size(390, 844).await.expect("phone size");
    click(&c, "nav-home").await;
    until_text(&c, "[data-testid='index-freshness']", "截至区块").await;
    shot(&c, &artifacts, "light-10-phone-home-zh").await;
    click(&c, "nav-stock").await;
    wait(&c, "[data-testid='stock-screen']").await;
    shot(&c, &artifacts, "light-10b-phone-stock-zh").await;
    // Back in English (chosen at desktop size, where the Node screen is one click away).
    c.set_window_size(1280, 800).await.expect("desktop size");
    click(&c, "nav-node").await;
    click(&c, "lang-en").await;
    c.set_window_size(390, 844).await.expect("phone size");
    click(&c, "nav-home").await;
    until_text(&c, "[data-testid='index-freshness']", "as of block").await;
    shot(&c, &artifacts, "light-11-phone-home").await;
    click(&c, "nav-stock").await;
    wait(&c, "[data-testid='stock-screen']").await;
    shot(&c, &artifacts, "light-12-phone-stock").await;
    click(&c, "nav-inbox").await;
    wait(&c, "[data-testid='index-freshness']").await;
    shot(&c, &artifacts, "light-13-phone-inbox").await;
    scan(&c, &format!("(00){sscc}")).await;
    until_text(&c, "[data-testid='verified-at']", "Verified against block").await;
    shot(&c, &artifacts, "light-14-phone-item").await;
    for tab in ["home", "stock", "inbox", "scan"] {
        click(&c, &format!("nav-{tab}")).await;
        let over = c
            .execute(
                "return document.documentElement.scrollWidth - window.innerWidth",
                vec![],
            )
            .await
            .expect("widths");
        assert!(
            over.as_i64().is_some_and(|o| o <= 0),
            "{tab} is {over}px wider than a phone"
        );
    }
    c.close().await.expect("close");

    // The chain, read on the full node: the pallet is the warehouse's, the bag marked
    // missing stayed with the grocer, the handoff is closed.
    let show = |code: &str| on_full(&["item", "show", code]);
    let p = show(&format!("(00){sscc}"));
    assert_eq!(p["item"]["custodian"]["name"], "Harbor Logistics", "{p}");
    let l = show(&lost);
    assert_eq!(l["item"]["custodian"]["name"], "Corner Grocer", "{l}");
    assert_eq!(l["item"]["exception"]["kind"], "missing", "{l}");
    let inbox = on_full(&["--as", "Harbor Logistics", "handoff", "inbox"]);
    assert!(
        !inbox.to_string().contains(&handoff_id),
        "the handoff is closed: {inbox}"
    );
    drop(node);
}

/// A new organisation's app joins a network by its registrar's invitation: the link
/// pasted on the Node screen (no genesis, no key copied), the app admitted as the
/// invited organisation and switched to light mode, following its own org: Home then
/// shows a pallet proposed to it on the network.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_org_joins_by_invitation_in_the_app_and_sees_what_is_sent_to_it() {
    let app = env_path("HANDOFF_APP");
    let handoff = env_path("HANDOFF_CLI");
    let driver = env_path("TAURI_DRIVER");
    let artifacts = artifacts_dir();
    let dir = tempfile::tempdir().expect("tmp");
    let full = dir.path().join("full");
    let mine = dir.path().join("quay");
    cli(&handoff, &full, &["demo", "--quiet"]);
    let node = FullNode::start(&handoff, &full);
    let on_full = |args: &[&str]| cli(&handoff, &full, args);
    let inv = on_full(&[
        "--as",
        "Handoff Demo Registry",
        "org",
        "invite",
        "Quay Freight",
        "--role",
        "carrier",
    ]);
    let link = inv["link"].as_str().expect("link").to_string();

    // A fresh app folder (its own embedded chain until it joins).
    let (_driver, c) = open_app(
        &app,
        &driver,
        json!(["--data", mine, "--org", "Quay Start", "--no-mdns"]),
    )
    .await;
    until_text(&c, "[data-testid='whoami']", "Quay Start").await;
    click(&c, "nav-node").await;
    click(&c, "lang-en").await;
    // The invitation's QR code held to the scanner (a keyboard wedge types what it
    // reads): the Scan screen sends it to the Node screen's join form, link filled in.
    scan(&c, &link).await;
    until_text(
        &c,
        "[data-testid='notice-banner']",
        "An invitation to join a network",
    )
    .await;
    let filled = wait(&c, "[data-testid='invite-input']")
        .await
        .prop("value")
        .await
        .expect("the join form's link")
        .unwrap_or_default();
    assert_eq!(filled.trim(), link, "the scanned link in the join form");
    shot(&c, &artifacts, "join-1-scanned").await;
    click(&c, "invite-join").await;
    until_text_within(
        &c,
        "[data-testid='notice-banner']",
        "Joined the network",
        Duration::from_secs(90),
    )
    .await;
    until_text(&c, "[data-testid='whoami']", "Quay Freight").await;
    until_text(&c, "[data-testid='node-mode']", "Light node").await;
    shot(&c, &artifacts, "join-2-joined").await;

    // The chain has admitted it; a pallet proposed to it reaches its Home.
    let orgs = on_full(&["org", "list"]);
    assert!(orgs.to_string().contains("Quay Freight"), "{orgs}");
    let grocer = on_full(&["--as", "Corner Grocer", "stock"]);
    let sscc = grocer["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["inside"].is_null() && c["items"].as_u64().is_some_and(|n| n > 1))
        .and_then(|c| c["sscc"].as_str())
        .expect("a full pallet at the grocer")
        .to_string();
    on_full(&[
        "--as",
        "Corner Grocer",
        "handoff",
        "propose",
        "--to",
        "Quay Freight",
        &format!("(00){sscc}"),
    ]);
    click(&c, "nav-home").await;
    until_text_within(
        &c,
        "[data-testid='home-arrival']",
        "Corner Grocer",
        Duration::from_secs(90),
    )
    .await;
    until_text(&c, "[data-testid='index-freshness']", "as of block").await;
    shot(&c, &artifacts, "join-3-home").await;
    c.close().await.expect("close");
    drop(node);
}
