//! English and Simplified Chinese. Every visible string goes through [`t`]; dates and
//! numbers are formatted by the browser's `Intl` for the chosen locale.

use wasm_bindgen::JsValue;

/// A UI language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
    /// From a stored tag.
    pub fn from_tag(s: &str) -> Lang {
        if s.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}

const TABLE: &[(&str, &str, &str)] = &[
    ("nav.exchange", "EPCIS", "EPCIS"),
    ("epcis.title", "EPCIS exchange", "EPCIS 数据交换"),
    (
        "epcis.import",
        "Import a partner's EPCIS file",
        "导入合作方的 EPCIS 文件",
    ),
    (
        "epcis.import_hint",
        "EPCIS 2.0 events (JSON-LD or XML) become transactions signed by your organization. The file is checked first; nothing is written until you import it.",
        "EPCIS 2.0 事件（JSON-LD 或 XML）将成为由本机构签名的交易。文件先经检查，确认导入前不写入任何内容。",
    ),
    (
        "epcis.light",
        "This light node cannot read EPCIS files: import them on a full node.",
        "轻节点无法读取 EPCIS 文件：请在全节点上导入。",
    ),
    (
        "epcis.drop",
        "Drop an EPCIS file here",
        "将 EPCIS 文件拖放到此处",
    ),
    ("epcis.choose", "Choose a file", "选择文件"),
    ("epcis.events_n", "{0} events", "{0} 个事件"),
    (
        "epcis.checked_hint",
        "Checked: {0} new events to import, {1} already on the ledger (left as they are).",
        "检查完毕：{0} 个新事件待导入，{1} 个已在账本上（保持不变）。",
    ),
    ("epcis.import_n", "Import {0} events", "导入 {0} 个事件"),
    ("epcis.cancel", "Cancel", "取消"),
    (
        "epcis.tally",
        "{0} committed · {1} already · {2} refused",
        "{0} 已提交 · {1} 已存在 · {2} 被拒",
    ),
    (
        "epcis.refused_hint",
        "Refused events broke a ledger rule (code and reason below); the other events stand.",
        "被拒事件违反了账本规则（代码和原因见下）；其他事件照常生效。",
    ),
    ("epcis.st.new", "new", "新"),
    ("epcis.st.committed", "committed", "已提交"),
    ("epcis.st.already", "already on the ledger", "已在账本上"),
    ("epcis.st.rejected", "refused", "被拒"),
    ("epcis.export", "Export EPCIS", "导出 EPCIS"),
    (
        "epcis.export_hint",
        "Every supply-chain event of the chain as one EPCIS 2.0 document, for partners and their systems. One item's history is exported from its page.",
        "将链上全部供应链事件导出为一份 EPCIS 2.0 文档，供合作方及其系统使用。单个货品的记录可在其页面导出。",
    ),
    ("epcis.format", "Format", "格式"),
    ("epcis.export_all", "Export everything", "全部导出"),
    ("epcis.export_item", "Export as EPCIS", "导出为 EPCIS"),
    (
        "epcis.exported",
        "Exported {0} events to {1}",
        "已导出 {0} 个事件至 {1}",
    ),
    (
        "epcis.imported",
        "Imported: {0} committed, {1} already on the ledger, {2} refused",
        "导入完成：{0} 已提交，{1} 已在账本上，{2} 被拒",
    ),
    ("nav.scan", "Scan", "扫描"),
    ("nav.item", "Item", "货品"),
    ("nav.inbox", "Inbox", "收件箱"),
    ("nav.products", "Products", "产品与标签"),
    ("nav.pack", "Pack", "装箱"),
    ("nav.node", "Node", "节点"),
    (
        "scan.placeholder",
        "Scan or type a GS1 code, then Enter",
        "扫描或输入 GS1 条码，按回车",
    ),
    ("scan.batch", "Batch mode", "批量模式"),
    ("scan.batch_count", "scanned", "已扫描"),
    ("scan.duplicate", "already in the list", "已在列表中"),
    ("scan.clear", "Clear list", "清空列表"),
    ("scan.incoming", "Arriving for you", "待您收货"),
    (
        "inbox.light_scan",
        "To receive goods, scan one of them on the Scan screen: the handoff it travels in appears there to accept, marking anything missing or damaged.",
        "收货时，请在“扫描”页扫描到货的任一商品：它所在的交接单会显示在那里，可直接确认收货并标记缺失或损坏。",
    ),
    (
        "scan.invalid",
        "not a valid GS1 code",
        "不是有效的 GS1 条码",
    ),
    ("scan.image", "Read QR from image", "从图片读取二维码"),
    ("scan.camera", "Scan with camera", "用摄像头扫描"),
    ("scan.camera_stop", "Stop camera", "关闭摄像头"),
    (
        "scan.hint",
        "Point a scanner at a label, or drop an image of a QR code here.",
        "用扫码枪扫描标签，或把二维码图片拖到这里。",
    ),
    ("action.ship", "Ship", "发货"),
    ("action.ship_to", "Ship to", "发往"),
    (
        "action.ownership",
        "Also transfer ownership",
        "同时转移所有权",
    ),
    (
        "action.pack_into",
        "Pack into container (SSCC)",
        "装入容器（SSCC）",
    ),
    ("action.pack", "Pack", "装箱"),
    ("action.unpack", "Unpack", "拆箱"),
    ("action.receive", "Receive", "收货"),
    ("action.timeline", "Timeline", "流转记录"),
    ("action.accept", "Accept", "接收"),
    ("action.accept_all", "Accept all", "全部接收"),
    ("action.reject", "Reject", "拒收"),
    ("action.cancel", "Withdraw", "撤回"),
    ("action.dismiss", "Dismiss", "关闭"),
    ("action.lookup", "Look up", "查询"),
    ("action.define", "Define product", "定义产品"),
    ("action.commission", "Commission", "赋码入链"),
    ("action.switch", "Act as", "切换身份"),
    ("item.owner", "Owner", "所有者"),
    ("item.custodian", "Custodian", "保管方"),
    ("item.status", "Status", "状态"),
    ("item.product", "Product", "产品"),
    ("item.container", "In container", "所在容器"),
    ("item.contents", "Contents", "内含"),
    ("item.inputs", "Made from", "原料"),
    ("item.recalled", "RECALLED", "已召回"),
    ("item.stolen", "REPORTED STOLEN", "已报失窃"),
    ("item.exception", "Exception", "异常"),
    (
        "item.none",
        "Scan an item to see where it has been.",
        "扫描货品即可查看其流转记录。",
    ),
    ("item.events", "events", "条记录"),
    ("item.kind_container", "Pallet or case", "托盘或箱"),
    ("via.container", "via its container", "随所在容器"),
    ("via.input", "via an input it was made from", "来自其原料"),
    ("verdict.genuine", "Genuine", "正品"),
    ("verdict.warning", "Warning", "警告"),
    ("verdict.counterfeit", "Counterfeit", "假冒"),
    ("verdict.recalled", "Recalled", "已召回"),
    ("verdict.unknown", "Unknown", "未知"),
    ("inbox.incoming", "Incoming", "待收"),
    ("inbox.outgoing", "Outgoing", "待对方接收"),
    ("inbox.empty", "Nothing waiting.", "暂无待处理。"),
    ("inbox.from", "From", "来自"),
    ("inbox.to", "To", "发往"),
    ("inbox.missing", "Missing", "缺失"),
    ("inbox.damaged", "Damaged", "损坏"),
    (
        "inbox.scan_arrived",
        "Scan what arrived; the rest is marked missing",
        "扫描实际到货，其余标记为缺失",
    ),
    ("inbox.reason", "Reason", "原因"),
    ("products.gtin", "GTIN", "GTIN"),
    ("products.name", "Name", "名称"),
    ("products.description", "Description", "描述"),
    ("products.first_serial", "First serial", "起始序列号"),
    ("products.count", "How many", "数量"),
    ("products.lot", "Lot", "批次"),
    ("products.qty", "Quantity", "数量"),
    ("products.labels", "Labels", "标签"),
    ("products.label_for", "Label for a code", "为条码生成标签"),
    ("products.size", "Size", "尺寸"),
    ("products.format", "Format", "格式"),
    ("products.make_label", "Make label", "生成标签"),
    ("products.download", "Download", "下载"),
    ("pack.container", "Container (SSCC)", "容器（SSCC）"),
    ("pack.contents", "Scan the contents", "扫描内装货品"),
    ("node.identity", "Identity", "身份"),
    ("node.org", "Organization", "组织"),
    ("node.org_key", "Organization key", "组织公钥"),
    ("node.height", "Chain height", "区块高度"),
    ("node.last_block", "Last block", "最新区块时间"),
    ("node.peers", "Peers", "对等节点"),
    ("node.outbox", "Outbox queue", "待发送队列"),
    ("node.data", "Data folder", "数据目录"),
    ("node.mode", "Chain", "链"),
    (
        "node.mode.embedded",
        "Embedded single-node chain on this computer",
        "本机内嵌单节点链",
    ),
    (
        "node.mode.http",
        "Handoff node, reached from this browser over HTTP",
        "Handoff 节点（本浏览器经 HTTP 访问）",
    ),
    (
        "node.browser_identity",
        "In a browser you act as the organization of the link you opened. To act as another, open the link made for it (handoff node token NAME).",
        "在浏览器中，您以所打开链接对应的组织身份操作。如需以其他组织操作，请打开为其生成的链接（handoff node token 名称）。",
    ),
    (
        "node.signed_out",
        "Not signed in: you can look items up. To act, open the link the Handoff node printed when it started.",
        "未登录：您可以查询货品。如需操作，请打开 Handoff 节点启动时打印的链接。",
    ),
    (
        "node.app_only",
        "Network settings, pairing and backups are done in the Handoff app or on the node's own machine, not in a browser.",
        "网络设置、设备配对和备份需在 Handoff 应用或节点所在的计算机上进行，浏览器中不提供。",
    ),
    (
        "error.SIGN_IN_NEEDED",
        "This needs you to sign in: open the link the Handoff node printed when it started (it ends in #token=…). Looking items up needs no sign-in.",
        "此操作需要登录：请打开 Handoff 节点启动时打印的链接（以 #token=… 结尾）。查询货品无需登录。",
    ),
    (
        "error.TOKEN_REFUSED",
        "The node did not accept this page's sign-in (a node makes a new link each time it starts): open the link it printed again.",
        "节点未接受本页面的登录凭据（节点每次启动都会生成新链接）：请重新打开节点打印的链接。",
    ),
    (
        "error.NODE_UNREACHABLE",
        "Cannot reach the Handoff node that served this page. Check that it is still running, then try again.",
        "无法连接提供此页面的 Handoff 节点。请确认节点仍在运行，然后重试。",
    ),
    (
        "error.APP_ONLY",
        "This is done in the Handoff app, not in a browser.",
        "此操作需在 Handoff 应用中进行，浏览器中不提供。",
    ),
    ("node.language", "Language", "语言"),
    ("node.copy", "Copy", "复制"),
    (
        "node.network",
        "Join a network: bootstrap peers, one per line",
        "加入网络：引导节点，每行一个",
    ),
    ("node.save_peers", "Save peers", "保存节点"),
    ("node.pair", "Show pairing code", "显示配对码"),
    (
        "node.fnc1",
        "FNC1 substitute (scanner setting)",
        "FNC1 替代字符（扫描枪设置）",
    ),
    (
        "node.pair_hint",
        "Scan this with another device to add it to your organization.",
        "用另一台设备扫描此码，将其加入您的组织。",
    ),
    ("node.backup", "Back up now", "立即备份"),
    ("msg.saved", "Saved", "已保存"),
    ("notice.backed_up", "Backed up to {0}", "已备份到 {0}"),
    (
        "notice.shipped",
        "Shipped; waiting for the recipient to accept · block {0}",
        "已发货，等待对方接收 · 区块 {0}",
    ),
    (
        "notice.accepted",
        "Received · block {0}",
        "已收货 · 区块 {0}",
    ),
    ("notice.received_n", "Received ({0})", "已收货（{0}）"),
    ("notice.commissioned", "Commissioned ({0})", "已赋码（{0}）"),
    ("msg.rejected", "Rejected", "已拒收"),
    ("msg.cancelled", "Withdrawn", "已撤回"),
    ("msg.packed", "Packed", "已装箱"),
    ("msg.unpacked", "Unpacked", "已拆箱"),
    ("msg.defined", "Product defined", "产品已定义"),
    ("msg.loading", "Working…", "处理中…"),
    ("msg.block", "block", "区块"),
    (
        "notice.queued",
        "Queued — will be sent when a peer is reachable · Outbox {0}",
        "已排队——连接到对等节点后发送 · 待发送队列 {0}",
    ),
    (
        "notice.queued_n",
        "Queued — will be sent when a peer is reachable ({0})",
        "已排队——连接到对等节点后发送（{0}）",
    ),
    (
        "msg.joined",
        "Joined the network: Handoff now runs as a light node",
        "已加入网络：Handoff 现以轻节点运行",
    ),
    (
        "node.mode.light",
        "Light node of a network (verifies certified headers)",
        "网络轻节点（校验已认证区块头）",
    ),
    (
        "node.header_height",
        "Certified header height",
        "已认证区块头高度",
    ),
    ("node.last_header", "Last header", "最新区块头时间"),
    ("node.outbox_list", "Outbox", "待发送队列"),
    (
        "node.outbox_hint",
        "Actions are signed here and sent to the network in order.",
        "操作在本机签名，按顺序发送到网络。",
    ),
    ("node.outbox_empty", "Nothing queued.", "暂无排队操作。"),
    (
        "node.genesis",
        "Network genesis (hex, from `handoff genesis` on one of its full nodes)",
        "网络创世块（十六进制，在其全节点上运行 `handoff genesis` 获得）",
    ),
    ("node.join", "Save and join", "保存并加入"),
    ("outbox.pending", "Pending", "待发送"),
    ("outbox.submitted", "Submitted", "已提交"),
    ("outbox.committed", "Committed", "已上链"),
    ("outbox.rejected", "Rejected", "被拒绝"),
    ("outbox.rule", "Rule", "规则"),
    ("outbox.tx", "tx", "交易"),
    ("outbox.entries", "entries", "项"),
    ("outbox.entry", "entry", "项"),
    ("item.verified", "Verified against block", "已校验，区块"),
    ("nav.auditor", "Auditor", "审核"),
    ("cert.title", "Certifications", "认证"),
    ("cert.none_valid", "None valid now", "目前没有有效的认证"),
    ("cert.lapsed", "Not valid now", "目前无效"),
    ("cert.number", "Certificate no.", "证书编号"),
    ("cert.issuer", "Issued by", "颁发机构"),
    ("cert.until", "Valid until", "有效期至"),
    ("cert.status.valid", "Valid", "有效"),
    ("cert.status.not_yet_valid", "Not yet valid", "尚未生效"),
    ("cert.status.expired", "Expired", "已过期"),
    ("cert.status.suspended", "Suspended", "已暂停"),
    ("cert.status.revoked", "Revoked", "已撤销"),
    ("cert.status.unknown", "Unknown status", "状态未知"),
    ("cert.via.thing", "This item", "本货品"),
    ("cert.via.lot", "Through its lot", "通过所属批次"),
    ("cert.via.product", "Through its product", "通过所属产品"),
    ("cert.via.producer", "Through its producer", "通过生产方"),
    (
        "cert.via.location",
        "Through a place it passed",
        "通过途经地点",
    ),
    ("cert.via.other", "Through", "通过"),
    ("doc.title", "Documents", "文件"),
    (
        "doc.local",
        "Files are hashed (SHA-256) on this device: the file never leaves it, only its fingerprint is sent.",
        "文件在本机计算 SHA-256 指纹：文件本身不会离开本机，只发送指纹。",
    ),
    ("doc.register", "Register a document", "登记文件"),
    ("doc.check", "Check a document", "核验文件"),
    ("doc.choose", "Choose a file", "选择文件"),
    ("doc.type", "Type", "类型"),
    ("doc.title_field", "Title (optional)", "标题（可选）"),
    ("doc.register_button", "Register", "登记"),
    ("doc.kind.po", "Purchase order", "采购订单"),
    ("doc.kind.invoice", "Invoice", "发票"),
    ("doc.kind.despatch", "Despatch advice", "发货通知"),
    ("doc.kind.bill_of_lading", "Bill of lading", "提单"),
    ("doc.kind.lab_report", "Lab report", "检测报告"),
    ("doc.kind.photo", "Photo", "照片"),
    ("doc.kind.other", "Other", "其他"),
    (
        "doc.too_large",
        "This file is {0} MB; files over {1} MB are not read here.",
        "此文件为 {0} MB；超过 {1} MB 的文件不在此读取。",
    ),
    (
        "doc.unreadable",
        "The file could not be read.",
        "无法读取该文件。",
    ),
    (
        "doc.registered",
        "Registered by {0} in block {1} on {2} as {3}",
        "由 {0} 于 {2} 登记在区块 {1}，类型：{3}",
    ),
    (
        "doc.proof_verified",
        "Verified against block {0}",
        "已校验，区块 {0}",
    ),
    (
        "doc.proof_absent",
        "Absence verified against block {0}",
        "已校验不存在，区块 {0}",
    ),
    (
        "doc.never",
        "Never registered — a changed file has another hash",
        "从未登记——文件一旦改动，指纹即不同",
    ),
    (
        "notice.doc_registered",
        "Document {0}… registered · block {1}",
        "文件 {0}… 已登记 · 区块 {1}",
    ),
    (
        "notice.cert_issued",
        "Certified · block {0}",
        "已颁发认证 · 区块 {0}",
    ),
    (
        "notice.cert_changed",
        "Certification changed · block {0}",
        "认证已变更 · 区块 {0}",
    ),
    ("auditor.title", "Auditor", "认证审核"),
    ("auditor.issue", "Issue a certification", "颁发认证"),
    ("auditor.for", "For", "认证对象"),
    (
        "auditor.for_hint",
        "A scan, a GTIN, gln:NUMBER or org:NAME; to list, empty: what you issued",
        "扫描码、GTIN、gln:编号 或 org:名称；列出时留空：您颁发的认证",
    ),
    ("auditor.scheme", "Scheme", "认证体系"),
    ("auditor.standard", "Standard", "标准"),
    ("auditor.from", "Valid from", "生效日期"),
    (
        "auditor.certificate_file",
        "Certificate file (optional)",
        "证书文件（可选）",
    ),
    ("auditor.issue_button", "Certify", "颁发"),
    ("auditor.list", "List certifications", "列出认证"),
    ("auditor.none", "No certifications.", "暂无认证。"),
    ("auditor.issued_id", "Certification id", "认证编号"),
    ("auditor.block", "block", "区块"),
    (
        "auditor.change",
        "Suspend, reinstate or revoke",
        "暂停、恢复或撤销",
    ),
    ("auditor.id", "Certification id", "认证编号"),
    ("auditor.change_kind", "Change", "操作"),
    ("auditor.suspend", "Suspend", "暂停"),
    ("auditor.reinstate", "Reinstate", "恢复"),
    ("auditor.revoke", "Revoke", "撤销"),
    ("auditor.reason", "Reason", "原因"),
    ("auditor.apply", "Apply", "执行"),
    ("auditor.tx", "Transaction", "交易"),
    (
        "error.unverified",
        "Could not verify this record: it is not shown as verified or as absent",
        "无法校验此记录：既不显示为已校验，也不显示为不存在",
    ),
    (
        "item.history_light",
        "The full history needs a full node; this light node verified the current record.",
        "完整流转记录需要全节点；本轻节点已校验当前记录。",
    ),
    (
        "inbox.light_node",
        "The inbox of open handoffs needs a full node: this light node verifies single records against certified block headers but keeps no index of the chain.",
        "待处理交接的收件箱需要全节点：本轻节点按已认证区块头逐条校验记录，但不保存链的索引。",
    ),
];

/// The text of `key` in `lang` (the key itself if it has none, so a gap is visible).
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    TABLE
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| if lang == Lang::Zh { *zh } else { *en })
        .unwrap_or(key)
}

/// `template` with `{0}`, `{1}`… replaced by `args` (a placeholder without an argument
/// is left as it is, so a gap is visible).
pub fn fill(template: &str, args: &[String]) -> String {
    let mut out = template.to_string();
    for (i, a) in args.iter().enumerate() {
        out = out.replace(&format!("{{{i}}}"), a);
    }
    out
}

/// The UI's own words for an error code (`error.CODE` in the table), if it has any: the
/// errors the page makes itself (the node unreachable, a sign-in needed), said in the
/// language on screen.
pub fn error_text(lang: Lang, code: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|(k, _, _)| k.strip_prefix("error.") == Some(code))
        .map(|(_, en, zh)| if lang == Lang::Zh { *zh } else { *en })
}

/// A date and time (RFC 3339 text) in the locale's format; text that is no date is
/// shown as it is.
pub fn datetime(lang: Lang, rfc3339: &str) -> String {
    let d = js_sys::Date::new(&JsValue::from_str(rfc3339));
    if d.get_time().is_nan() {
        return rfc3339.to_string();
    }
    locale_datetime(lang, &d)
}

/// A date and time (ms since the epoch) in the locale's format.
pub fn datetime_ms(lang: Lang, ms: i64) -> String {
    locale_datetime(lang, &js_sys::Date::new(&JsValue::from_f64(ms as f64)))
}

fn locale_datetime(lang: Lang, d: &js_sys::Date) -> String {
    if d.get_time().is_nan() {
        return String::new();
    }
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&opts, &"timeStyle".into(), &"short".into());
    d.to_locale_string(lang.tag(), &opts).into()
}

/// A number in the locale's format.
pub fn number(lang: Lang, n: f64) -> String {
    js_sys::Number::from(n)
        .to_locale_string(lang.tag())
        .as_string()
        .unwrap_or_else(|| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages() {
        for (k, en, zh) in TABLE {
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
        }
        let mut keys: Vec<&str> = TABLE.iter().map(|(k, _, _)| *k).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        assert_eq!(t(Lang::Zh, "nav.scan"), "扫描");
        assert_eq!(t(Lang::En, "nav.scan"), "Scan");
    }

    #[test]
    fn notices_fill_their_arguments_in_either_language() {
        assert_eq!(
            fill(t(Lang::En, "notice.accepted"), &["12".into()]),
            "Received · block 12"
        );
        assert_eq!(
            fill(t(Lang::Zh, "notice.accepted"), &["12".into()]),
            "已收货 · 区块 12"
        );
        assert_eq!(fill("{0} and {1}", &["a".into()]), "a and {1}");
        // Every placeholder of one language is in the other.
        for (k, en, zh) in TABLE {
            for i in 0..3 {
                let p = format!("{{{i}}}");
                assert_eq!(en.contains(&p), zh.contains(&p), "{k}: {p}");
            }
        }
    }

    #[test]
    fn the_pages_own_errors_are_said_in_both_languages() {
        for code in [
            "SIGN_IN_NEEDED",
            "TOKEN_REFUSED",
            "NODE_UNREACHABLE",
            "APP_ONLY",
        ] {
            assert!(error_text(Lang::En, code).is_some(), "{code}");
            assert_ne!(
                error_text(Lang::En, code),
                error_text(Lang::Zh, code),
                "{code}"
            );
        }
        // A node's error has no words of the page: its own message is shown.
        assert_eq!(error_text(Lang::En, "NOT_CUSTODIAN"), None);
    }
}
