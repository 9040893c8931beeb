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
        "On this light node an imported file's events are signed as your org and queued in the outbox (sent when a full node is reachable); the export is your org's own events, as of the light node's index.",
        "在轻节点上，导入文件的事件以您的组织签名并排入发件箱（连接到全节点时发送）；导出的是您组织自己的事件，截至轻节点索引的区块。",
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
    ("epcis.st.queued", "queued", "已排队"),
    ("epcis.st.already", "already on the ledger", "已在账本上"),
    ("epcis.st.rejected", "refused", "被拒"),
    ("epcis.export", "Export EPCIS", "导出 EPCIS"),
    (
        "epcis.export_hint",
        "Every supply-chain event of the chain as one EPCIS 2.0 document, for partners and their systems. One item's history is exported from its page.",
        "将链上全部供应链事件导出为一份 EPCIS 2.0 文档，供合作方及其系统使用。单个货品的记录可在其页面导出。",
    ),
    (
        "epcis.export_hint_light",
        "Your org's own supply-chain events, as far as this light node has indexed them, as one EPCIS 2.0 document for partners and their systems. Other orgs' events are on the full nodes.",
        "将本组织自己的供应链事件（截至本轻节点已索引的区块）导出为一份 EPCIS 2.0 文档，供合作方及其系统使用。其他组织的事件在全节点上。",
    ),
    ("epcis.format", "Format", "格式"),
    ("epcis.export_all", "Export everything", "全部导出"),
    ("epcis.export_own", "Export our events", "导出本组织事件"),
    ("epcis.export_item", "Export as EPCIS", "导出为 EPCIS"),
    (
        "epcis.exported",
        "Exported {0} events to {1}",
        "已导出 {0} 个事件至 {1}",
    ),
    (
        "epcis.exported_light",
        "Exported your org's {0} events, as of block {2}, to {1}",
        "已导出您组织的 {0} 个事件（截至区块 {2}）至 {1}",
    ),
    (
        "epcis.imported",
        "Imported: {0} committed, {1} already on the ledger, {2} refused",
        "导入完成：{0} 已提交，{1} 已在账本上，{2} 被拒",
    ),
    ("nav.home", "Home", "首页"),
    ("nav.stock", "Stock", "库存"),
    ("nav.more", "More", "更多"),
    (
        "home.search",
        "Scan a code, or search a product, lot or serial",
        "扫码，或搜索产品、批次、序列号",
    ),
    (
        "home.signed_out",
        "Sign in with the node's link to see what your organization holds.",
        "请使用节点的链接登录，以查看本机构的库存。",
    ),
    (
        "home.light",
        "This light node has not found its org on the chain yet: stock, arrivals and activity show once it has synced with a peer. Scans and handoffs work here.",
        "此轻节点尚未在链上找到本组织：与节点同步后即显示库存、到货和动态。扫码和交接可在此进行。",
    ),
    (
        "light.as_of",
        "From this node's own verified index: as of block {0}, {1}",
        "来自本节点已校验的索引：截至区块 {0}，{1}",
    ),
    ("light.peers", "{0} peers reachable", "可连接节点 {0} 个"),
    ("light.peer_one", "1 peer reachable", "可连接节点 1 个"),
    (
        "light.behind_one",
        "1 newer block still to check",
        "还有 1 个新区块待校验",
    ),
    (
        "light.offline",
        "no peer reachable: answering from disk",
        "无可连接节点：从本机数据回答",
    ),
    (
        "light.behind",
        "{0} newer blocks still to check",
        "还有 {0} 个新区块待校验",
    ),
    ("ago.now", "just now", "刚刚"),
    ("ago.min", "{0} min ago", "{0} 分钟前"),
    ("ago.hour", "{0} h ago", "{0} 小时前"),
    ("ago.day", "{0} days ago", "{0} 天前"),
    ("home.outbox", "Outbox: {0} waiting", "待发送：{0} 条"),
    ("home.stock", "In stock", "在库"),
    (
        "home.stock_sub",
        "{0} products · {1} lot units · {2} containers",
        "{0} 种产品 · 批量 {1} 件 · {2} 个托盘/箱",
    ),
    ("home.lot_qty", "{0} units", "{0} 件"),
    ("home.expiring", "Expiring soon", "即将过期"),
    (
        "home.expiring_sub",
        "Within {0} days, first expiry first",
        "{0} 天内，先到期先出",
    ),
    ("home.nothing", "Nothing", "无"),
    ("home.arrivals", "Arriving", "待到货"),
    ("home.shipments", "{0} shipments", "{0} 批"),
    ("home.in_transit", "In transit", "运输中"),
    ("home.exceptions", "To resolve", "待处理"),
    ("home.refused_by", "Refused by {0}", "被 {0} 拒收"),
    ("home.refused", "refused", "拒收"),
    ("home.activity", "Latest activity", "最近动态"),
    ("home.block", "block", "区块"),
    ("home.all", "Show all", "显示全部"),
    ("home.fewer", "Show fewer", "收起"),
    ("home.tries", "Codes to try", "试一试这些编码"),
    (
        "home.tries_hint",
        "Real codes of what you hold and expect: tap one, or scan it.",
        "您在库和待到货的真实编码：点一下，或扫描。",
    ),
    ("home.try_bag", "A bag in stock", "在库的一袋"),
    ("home.try_pallet", "A pallet in stock", "在库的托盘"),
    ("home.try_arriving", "Arriving", "待到货"),
    (
        "home.try_shipped",
        "Shipped, not yet accepted",
        "已发货，待接收",
    ),
    ("home.try_recalled", "A recalled lot", "被召回的批次"),
    ("goods.containers", "Pallets and cases: {0}", "托盘/箱：{0}"),
    (
        "goods.cut",
        "The list is cut at 10,000 lines: count the rest by their containers.",
        "清单超过 10,000 行已截断：其余请按托盘/箱清点。",
    ),
    ("goods.serial", "Serial", "序列号"),
    ("goods.empty_containers", "Empty containers", "空托盘/箱"),
    ("goods.keys", "Codes", "编码"),
    ("stock.title", "Stock", "库存"),
    (
        "stock.search",
        "Search product, lot, serial or container",
        "搜索产品、批次、序列号或托盘",
    ),
    ("stock.product", "Product", "产品"),
    ("stock.any", "Any", "全部"),
    ("stock.lot", "Lot", "批次"),
    ("stock.location", "Location", "位置"),
    ("stock.status", "Status", "状态"),
    ("stock.days", "Expiring within (days)", "几天内过期"),
    (
        "stock.fefo",
        "First expiry first, all products",
        "先到期先出（全部产品）",
    ),
    ("stock.clear", "Clear filters", "清除筛选"),
    ("stock.csv", "Download CSV", "下载 CSV"),
    (
        "stock.serial_hits",
        "Items with this serial",
        "该序列号的货品",
    ),
    (
        "stock.totals",
        "{0} products · {1} items · {2} lot units · {3} lines",
        "{0} 种产品 · {1} 件单品 · 批量 {2} 件 · {3} 行",
    ),
    (
        "stock.empty",
        "Nothing held matches.",
        "没有符合条件的库存。",
    ),
    ("stock.expiry", "Expiry", "到期"),
    ("stock.in_container", "in", "在托盘"),
    ("stock.quantity", "Quantity", "数量"),
    ("stock.items_n", "{0} items", "{0} 件"),
    ("stock.expires_today", "expires today", "今天到期"),
    ("stock.expired_ago", "expired {0} days ago", "已过期 {0} 天"),
    ("stock.expires_in", "in {0} days", "{0} 天后到期"),
    ("stock.st.in_stock", "in stock", "在库"),
    ("stock.st.in_transit", "in transit", "运输中"),
    ("stock.st.recalled", "recalled", "已召回"),
    ("stock.st.missing", "missing", "缺失"),
    ("stock.st.damaged", "damaged", "破损"),
    ("stock.st.other", "other", "其他"),
    (
        "tally.open",
        "Receive: count what arrived",
        "收货：清点到货",
    ),
    ("tally.expected", "Expected", "应到"),
    ("tally.scanned", "Scanned", "已扫"),
    ("tally.missing", "Missing", "缺失"),
    ("tally.damaged", "Damaged", "破损"),
    ("tally.unexpected", "Not expected", "非本批"),
    ("tally.all", "Count all as arrived", "全部记为已到"),
    ("tally.counted", "Counted {0}", "已清点 {0}"),
    ("tally.already", "Already counted", "已清点过"),
    (
        "tally.not_expected",
        "Not in this shipment: flagged",
        "不在本批货中：已标记",
    ),
    ("tally.group", "{0} of {1} scanned", "已扫 {0} / {1}"),
    ("tally.missing_n", "{0} missing", "缺 {0}"),
    ("tally.damaged_n", "{0} damaged", "破损 {0}"),
    (
        "tally.unexpected_title",
        "Scanned but not in this shipment",
        "已扫描但不在本批货中",
    ),
    (
        "tally.accept",
        "Accept: {0} arrived · {1} missing · {2} damaged",
        "确认收货：到货 {0} · 缺失 {1} · 破损 {2}",
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
    ("item.st.active", "active", "流通中"),
    ("item.st.consumed", "consumed", "已加工消耗"),
    ("item.st.sold", "sold", "已售出"),
    ("item.st.claimed", "claimed", "已售出并认领"),
    ("item.st.decommissioned", "decommissioned", "已销毁"),
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
        "Network settings and backups are done in the Handoff app or on the node's own machine, not in a browser.",
        "网络设置和备份需在 Handoff 应用或节点所在的计算机上进行，浏览器中不提供。",
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
    (
        "node.fnc1",
        "FNC1 substitute (scanner setting)",
        "FNC1 替代字符（扫描枪设置）",
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
        "node.invite",
        "Join a network by invitation: paste the link its registrar sent you, or scan its QR code on the Scan screen",
        "通过邀请加入网络：粘贴登记机构发给您的链接，或在“扫描”页扫描其二维码",
    ),
    ("node.invite_join", "Join", "加入"),
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
    // The phone (phone.rs): pairing, signing on the phone, its queue.
    ("phone.title", "This phone", "本机"),
    (
        "phone.signs_for",
        "Signs for {0} as device “{1}”, with its own key kept in this browser.",
        "以设备“{1}”代表 {0} 签名，密钥保存在本浏览器中。",
    ),
    ("phone.device_key", "Device key", "设备密钥"),
    ("phone.online", "Online", "在线"),
    ("phone.offline_short", "Offline", "离线"),
    (
        "phone.offline",
        "Offline: handoffs are signed on this phone and sent when the network is back.",
        "离线：交接在本机签名，网络恢复后自动发送。",
    ),
    ("phone.codes", "To hand off", "待交接"),
    (
        "phone.code_placeholder",
        "Scan or type a code",
        "扫描或输入编码",
    ),
    (
        "phone.codes_hint",
        "Codes you scan are listed here, also offline.",
        "扫描的编码会列在这里，离线时也可以。",
    ),
    ("phone.add", "Add", "添加"),
    ("phone.to", "Hand off to", "交接给"),
    ("phone.choose", "Choose…", "请选择…"),
    ("phone.propose", "Sign and send", "签名并发送"),
    ("phone.clear", "Clear", "清空"),
    ("phone.queue", "Signed on this phone", "本机签名的交易"),
    (
        "phone.queue_empty",
        "Nothing signed on this phone yet.",
        "本机尚未签名任何交易。",
    ),
    ("phone.waiting", "Waiting to send", "等待发送"),
    ("phone.waiting_n", "{0} waiting", "{0} 项等待"),
    ("phone.handoff_to", "Handoff to {0}", "交接给 {0}"),
    (
        "notice.phone_queued",
        "Signed on this phone · waiting to send (#{0})",
        "已在本机签名 · 等待发送（#{0}）",
    ),
    (
        "notice.invite_scanned",
        "An invitation to join a network: check it below, then press Join.",
        "这是加入网络的邀请：请在下方核对后点击“加入”。",
    ),
    (
        "notice.invite_elsewhere",
        "An invitation to join a network: open it in the Handoff app of the organization it invites, on a device not yet on a network.",
        "这是加入网络的邀请：请在受邀机构尚未加入网络的设备上，用 Handoff 应用打开。",
    ),
    (
        "notice.phone_paired",
        "This phone is paired: it now signs for {0}.",
        "本机已配对，现在代表 {0} 签名。",
    ),
    ("pair.title", "Pair a phone", "配对手机"),
    (
        "pair.hint",
        "Open this code with the phone's camera. The phone makes its own device key and this organization authorizes it on the ledger. The code works once, for 10 minutes.",
        "用手机相机扫描此码：手机生成自己的设备密钥，由本机构在账本上授权。此码仅可使用一次，10 分钟内有效。",
    ),
    (
        "pair.app_hint",
        "Phones pair with a node that serves the app over HTTP (handoff node run --http ADDR --ui ui/dist): give the address phones reach it at.",
        "手机需与通过 HTTP 提供应用的节点配对（handoff node run --http 地址 --ui ui/dist）：请填写手机可访问的地址。",
    ),
    (
        "pair.base",
        "Address phones reach this node at",
        "手机访问本节点的地址",
    ),
    ("pair.make", "Make pairing code", "生成配对码"),
    (
        "pair.loopback",
        "A phone cannot reach this address: it is this computer's own. Use the address this computer has on your network, e.g. http://192.168.1.20:8080.",
        "手机无法访问此地址（它指向这台电脑自身）。请使用这台电脑在局域网中的地址，例如 http://192.168.1.20:8080。",
    ),
    (
        "pair.expires",
        "Works once, until {0}",
        "仅可使用一次，有效期至 {0}",
    ),
    ("invite.title", "Invite an organisation", "邀请机构加入"),
    (
        "invite.hint",
        "Makes a link that works once: the organisation runs `handoff join LINK` in its own folder. Its node checks it is on this chain and makes its own key; this node keeps only the invitation's fingerprint.",
        "生成一次性邀请链接：对方在自己的文件夹中运行 `handoff join 链接`。其节点会核对所加入的链并生成自己的密钥；本节点只保存邀请的指纹。",
    ),
    ("invite.name", "Organisation name", "机构名称"),
    (
        "invite.roles",
        "Roles (comma-separated; default: all trading roles)",
        "角色（逗号分隔；默认：全部交易角色）",
    ),
    (
        "invite.peer",
        "This node's address others reach (optional)",
        "他人可访问的本节点地址（可选）",
    ),
    ("invite.make", "Make invitation", "生成邀请"),
    ("invite.list", "Invitations made", "已发出的邀请"),
    ("invite.until", "Open until {0}", "有效期至 {0}"),
    ("invite.revoke", "Revoke", "撤销"),
    ("invite.status.open", "Open", "有效"),
    ("invite.status.used", "Used", "已使用"),
    ("invite.status.expired", "Expired", "已过期"),
    ("invite.status.revoked", "Revoked", "已撤销"),
    (
        "error.TICKET_REVOKED",
        "The registrar revoked this invitation: ask the registrar for a new one.",
        "登记机构已撤销此邀请：请向其索取新的邀请。",
    ),
    (
        "invite.expires",
        "Works once, until {0}",
        "仅可使用一次，有效期至 {0}",
    ),
    (
        "error.NOT_NETWORKED",
        "This node is not on a network, so an invitation could name no address: run the node on the network, or give the address others reach it at.",
        "本节点未接入网络，邀请无法包含可连接的地址：请让节点联网运行，或填写他人可访问的地址。",
    ),
    (
        "error.PAIR_TICKET_UNKNOWN",
        "This pairing code was not made by this node. Make a new one on the desktop.",
        "此配对码不是本节点生成的，请在电脑上重新生成。",
    ),
    (
        "error.PAIR_TICKET_EXPIRED",
        "This pairing code has expired (codes work for 10 minutes). Make a new one on the desktop.",
        "此配对码已过期（有效期 10 分钟），请在电脑上重新生成。",
    ),
    (
        "error.PAIR_TICKET_USED",
        "This pairing code has already paired a phone. Make a new one on the desktop.",
        "此配对码已配对过一部手机，请在电脑上重新生成。",
    ),
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
    ("doc.kind.delivery_note", "Delivery note", "送货单"),
    ("transfer.custody", "Custody", "保管"),
    ("transfer.ownership", "Ownership", "所有权"),
    ("transfer.both", "Custody and ownership", "保管与所有权"),
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
        "This history is longer than a light node fetches and verifies for one answer: a full node shows it. The current record is verified.",
        "此流转记录超出轻节点单次可获取并校验的长度：请在全节点查看。当前记录已校验。",
    ),
    (
        "item.history_verified",
        "Every event checked by this light node against certified block {0}: each history (the item's, its containers', its inputs') hashes to the record proven there.",
        "每个事件均已由本轻节点对照已认证区块 {0} 校验：本品、所在容器及原料的流转记录，其哈希均与该区块中已证明的记录一致。",
    ),
    (
        "inbox.light_node",
        "This light node has not found its org on the chain yet: its inbox shows once it has synced with a peer.",
        "此轻节点尚未在链上找到本组织：与节点同步后即显示收件箱。",
    ),
    // ---------------------------------------------------------------- finance
    ("nav.finance", "Finance", "融资"),
    ("nav.lender", "Lender", "放款方"),
    ("fin.title", "Finance", "供应链融资"),
    (
        "fin.hint",
        "Invoices over delivered goods and warehouse receipts, and the steps each may take now. Amounts and invoice numbers are sealed to the parties and their lender; the chain keeps only commitments.",
        "基于已交付货物的发票和仓单，以及各自当前可进行的步骤。金额和发票号仅对各方及其放款方可见；链上只保存承诺值。",
    ),
    ("fin.assets", "Your invoices and receipts", "您的发票与仓单"),
    (
        "fin.none",
        "No invoices or warehouse receipts yet.",
        "暂无发票或仓单。",
    ),
    ("fin.issue_invoice", "Issue invoice", "开具发票"),
    ("fin.issue_receipt", "Issue warehouse receipt", "签发仓单"),
    ("fin.back", "Back to the list", "返回列表"),
    ("fin.kind.receivable", "Invoice", "发票"),
    ("fin.kind.receipt", "Warehouse receipt", "仓单"),
    ("fin.invoice_no", "Invoice no.", "发票号"),
    ("fin.face", "Face value", "票面金额"),
    ("fin.outstanding", "Outstanding", "未付余额"),
    ("fin.paid", "Paid", "已付"),
    ("fin.diluted", "Credited", "已冲减"),
    ("fin.recovered", "Recovered", "已追回"),
    ("fin.advance", "Advance", "预付款"),
    ("fin.fee", "Fee", "费用"),
    ("fin.due", "Due", "到期日"),
    ("fin.currency", "Currency", "币种"),
    ("fin.parties", "Parties", "参与方"),
    ("fin.goods", "Goods", "货物"),
    (
        "fin.goods_n",
        "{0} goods, {1} released",
        "{0} 件货物，已解押 {1} 件",
    ),
    (
        "fin.sealed",
        "The terms are sealed to the parties and their lender: you do not read the amounts.",
        "条款仅对各方及其放款方可见：您无法查看金额。",
    ),
    (
        "fin.terms_problem",
        "The terms sealed to you do not match the chain: do not rely on them.",
        "您收到的条款与链上记录不符：请勿依赖。",
    ),
    ("fin.steps", "Steps", "步骤"),
    ("fin.by", "by {0}", "由 {0}"),
    ("fin.block", "block {0}", "区块 {0}"),
    ("fin.actions", "What you can do now", "您现在可以"),
    (
        "fin.no_actions",
        "Nothing for you to do now.",
        "您目前无需操作。",
    ),
    ("fin.evidence", "Trade evidence", "贸易凭证"),
    (
        "fin.evidence_hint",
        "Each invoiced line matched against the handoff that delivered it: accepted, without exceptions, with a purchase order.",
        "逐行核对发票与对应的交接记录：已接收、无异常、附有采购订单。",
    ),
    (
        "fin.evidence_ok",
        "Every line is backed by the chain",
        "每一行都有链上凭证支持",
    ),
    ("fin.goods_ok", "Every good is in place", "所有货物均在原处"),
    (
        "fin.goods_bad",
        "Some goods need a look",
        "部分货物需要关注",
    ),
    (
        "fin.evidence_bad",
        "Some lines are not backed",
        "部分行缺少凭证支持",
    ),
    (
        "fin.evidence_unavailable",
        "The line-by-line evidence is not available from this node yet; the asset and its steps are shown.",
        "此节点暂不提供逐行凭证；以下显示资产及其步骤。",
    ),
    ("fin.line", "Line {0}", "第 {0} 行"),
    ("fin.line_matched", "Matched", "已核对"),
    ("fin.line_flagged", "Does not match", "不符"),
    (
        "fin.accepted_at",
        "accepted in block {0}",
        "于区块 {0} 接收",
    ),
    ("fin.not_accepted", "Not accepted", "未接收"),
    (
        "fin.exc.missing",
        "Reported missing at acceptance",
        "接收时报告缺失",
    ),
    (
        "fin.exc.damaged",
        "Reported damaged at acceptance",
        "接收时报告损坏",
    ),
    (
        "fin.no_po",
        "No purchase order behind it",
        "没有对应的采购订单",
    ),
    ("fin.docs", "Documents", "单据"),
    ("fin.custodian", "held by {0}", "由 {0} 保管"),
    (
        "fin.lot_qty",
        "{0} pledged · {1} held",
        "质押 {0} · 库存 {1}",
    ),
    ("fin.released", "released", "已解押"),
    ("fin.pledged_good", "pledged", "质押中"),
    ("fin.flag.recalled", "recalled", "已召回"),
    ("fin.flag.reported_stolen", "reported stolen", "已报失窃"),
    ("fin.flag.decommissioned", "destroyed", "已销毁"),
    ("fin.flag.in_transit", "in transit", "运输中"),
    ("fin.flag.moved", "moved out of the warehouse", "已移出仓库"),
    (
        "fin.flag.contents_unchecked",
        "too many contents to check",
        "内含货物过多，未能全部核查",
    ),
    ("fin.alerts", "Alerts", "预警"),
    ("fin.no_alerts", "No alerts.", "暂无预警。"),
    ("fin.ev_pack_json", "Evidence pack (JSON)", "凭证包（JSON）"),
    ("fin.ev_pack_pdf", "Evidence pack (PDF)", "凭证包（PDF）"),
    ("fin.portfolio_csv", "Portfolio CSV", "资产组合 CSV"),
    (
        "fin.export_checksum",
        "The file's checksum does not match what the node said; it was not saved.",
        "文件校验值与节点所述不符，未保存。",
    ),
    ("notice.fin_exported", "Saved {0}", "已保存 {0}"),
    // Roles
    ("fin.role.seller", "Seller", "卖方"),
    ("fin.role.buyer", "Buyer", "买方"),
    ("fin.role.holder", "Holder", "持有方"),
    ("fin.role.lender", "Lender", "放款方"),
    ("fin.role.warehouse", "Warehouse", "仓库"),
    ("fin.role.owner", "Owner", "货主"),
    // Status badges
    ("fin.st.issued", "Issued", "已开具"),
    ("fin.st.confirmed", "Confirmed", "已确认"),
    (
        "fin.st.finance_requested",
        "Financing requested",
        "已申请融资",
    ),
    ("fin.st.offered", "Offer made", "已报价"),
    ("fin.st.offer_accepted", "Offer accepted", "已接受报价"),
    ("fin.st.funded", "Funded", "已放款"),
    ("fin.st.settled", "Settled", "已结清"),
    ("fin.st.overdue", "Overdue", "已逾期"),
    ("fin.st.defaulted", "Defaulted", "已违约"),
    ("fin.st.written_off", "Written off", "已核销"),
    ("fin.st.pledge_offered", "Pledge offered", "待接受质押"),
    ("fin.st.pledged", "Pledged", "已质押"),
    ("fin.st.released", "Released", "已解押"),
    ("fin.st.enforced", "Enforced", "已处置"),
    // Status in words: {0} buyer or owner, {1} lender, {2} seller or warehouse
    (
        "fin.say.receivable.issued",
        "Invoiced: waiting for {0} to confirm",
        "已开票：等待 {0} 确认",
    ),
    (
        "fin.say.receivable.confirmed",
        "Confirmed by {0}: can be financed, split or transferred",
        "{0} 已确认：可申请融资、拆分或转让",
    ),
    (
        "fin.say.receivable.finance_requested",
        "Financing requested from {1}",
        "已向 {1} 申请融资",
    ),
    (
        "fin.say.receivable.offered",
        "{1} offered financing: waiting for the holder to accept",
        "{1} 已报价：等待持有方接受",
    ),
    (
        "fin.say.receivable.offer_accepted",
        "Offer accepted: waiting for {1} to fund",
        "已接受报价：等待 {1} 放款",
    ),
    (
        "fin.say.receivable.funded",
        "Financed by {1}: {0} pays the outstanding balance",
        "由 {1} 融资：{0} 支付未付余额",
    ),
    (
        "fin.say.receivable.settled",
        "Settled: paid in full",
        "已结清：全额付清",
    ),
    (
        "fin.say.receivable.overdue",
        "Overdue: {0} has not paid by the due date",
        "已逾期：{0} 未在到期日前付款",
    ),
    (
        "fin.say.receivable.defaulted",
        "In default: {0} did not pay",
        "违约：{0} 未付款",
    ),
    (
        "fin.say.receivable.written_off",
        "Written off: nothing more is expected",
        "已核销：不再追收",
    ),
    (
        "fin.say.receipt.issued",
        "Goods held by {2} for {0}; not pledged",
        "{2} 为 {0} 保管货物；未质押",
    ),
    (
        "fin.say.receipt.pledge_offered",
        "Offered as collateral to {1}: waiting for the lender to accept",
        "已向 {1} 提供质押：等待放款方接受",
    ),
    (
        "fin.say.receipt.pledged",
        "Pledged to {1}: moves need the lender's release",
        "已质押给 {1}：货物移动需经放款方解押",
    ),
    (
        "fin.say.receipt.released",
        "Released by {1}: the goods move freely",
        "{1} 已解押：货物可自由移动",
    ),
    (
        "fin.say.receipt.enforced",
        "Enforced: {1} took ownership of the goods",
        "已处置：{1} 取得货物所有权",
    ),
    // Steps taken (timeline)
    ("fin.step.receivable_issued", "Invoice issued", "开具发票"),
    (
        "fin.step.receivable_confirmed",
        "Invoice confirmed",
        "确认发票",
    ),
    (
        "fin.step.finance_requested",
        "Financing requested",
        "申请融资",
    ),
    ("fin.step.finance_offered", "Financing offered", "融资报价"),
    ("fin.step.offer_accepted", "Offer accepted", "接受报价"),
    ("fin.step.receivable_funded", "Funded", "放款"),
    ("fin.step.receivable_repaid", "Payment received", "收到付款"),
    ("fin.step.receivable_settled", "Settled", "结清"),
    ("fin.step.receivable_split", "Split", "拆分"),
    ("fin.step.receivable_transferred", "Transferred", "转让"),
    (
        "fin.step.receivable_diluted",
        "Credit note",
        "冲减（贷项通知）",
    ),
    ("fin.step.receivable_overdue", "Marked overdue", "标记逾期"),
    (
        "fin.step.receivable_defaulted",
        "Declared in default",
        "宣布违约",
    ),
    (
        "fin.step.receivable_recovered",
        "Amount recovered",
        "追回款项",
    ),
    ("fin.step.receivable_written_off", "Written off", "核销"),
    ("fin.step.receipt_issued", "Receipt issued", "签发仓单"),
    ("fin.step.receipt_pledged", "Pledge offered", "提供质押"),
    (
        "fin.step.pledge_accepted",
        "Pledge accepted: goods locked",
        "接受质押：货物锁定",
    ),
    ("fin.step.pledge_released", "Goods released", "解押货物"),
    ("fin.step.pledge_enforced", "Pledge enforced", "处置质押物"),
    // Action buttons (from `next`)
    ("fin.do.confirm", "Confirm invoice", "确认发票"),
    ("fin.do.request", "Request financing", "申请融资"),
    ("fin.do.split", "Split to a supplier", "拆分给供应商"),
    ("fin.do.transfer", "Transfer", "转让"),
    ("fin.do.offer", "Make an offer", "报价"),
    ("fin.do.accept-offer", "Accept offer", "接受报价"),
    ("fin.do.fund", "Fund", "放款"),
    ("fin.do.repay", "Record a payment", "登记付款"),
    ("fin.do.dilute", "Credit note", "冲减（贷项通知）"),
    ("fin.do.settle", "Settle", "结清"),
    ("fin.do.overdue", "Mark overdue", "标记逾期"),
    ("fin.do.default", "Declare default", "宣布违约"),
    ("fin.do.recover", "Record a recovery", "登记追回款项"),
    ("fin.do.write-off", "Write off", "核销"),
    ("fin.do.pledge", "Pledge to a lender", "质押给放款方"),
    ("fin.do.accept-pledge", "Accept pledge", "接受质押"),
    ("fin.do.release", "Release goods", "解押货物"),
    ("fin.do.enforce", "Enforce", "处置质押物"),
    ("fin.do.submit", "Submit", "提交"),
    ("fin.do.cancel", "Cancel", "取消"),
    // Confirmations
    (
        "fin.done.confirm",
        "Invoice confirmed · block {0}",
        "发票已确认 · 区块 {0}",
    ),
    (
        "fin.done.request",
        "Financing requested · block {0}",
        "已申请融资 · 区块 {0}",
    ),
    ("fin.done.split", "Split · block {0}", "已拆分 · 区块 {0}"),
    (
        "fin.done.transfer",
        "Transferred · block {0}",
        "已转让 · 区块 {0}",
    ),
    (
        "fin.done.offer",
        "Offer made · block {0}",
        "已报价 · 区块 {0}",
    ),
    (
        "fin.done.accept-offer",
        "Offer accepted · block {0}",
        "已接受报价 · 区块 {0}",
    ),
    ("fin.done.fund", "Funded · block {0}", "已放款 · 区块 {0}"),
    (
        "fin.done.repay",
        "Payment recorded · block {0}",
        "付款已登记 · 区块 {0}",
    ),
    (
        "fin.done.dilute",
        "Credit note recorded · block {0}",
        "冲减已登记 · 区块 {0}",
    ),
    (
        "fin.done.settle",
        "Settled · block {0}",
        "已结清 · 区块 {0}",
    ),
    (
        "fin.done.overdue",
        "Marked overdue · block {0}",
        "已标记逾期 · 区块 {0}",
    ),
    (
        "fin.done.default",
        "Declared in default · block {0}",
        "已宣布违约 · 区块 {0}",
    ),
    (
        "fin.done.recover",
        "Recovery recorded · block {0}",
        "追回款项已登记 · 区块 {0}",
    ),
    (
        "fin.done.write-off",
        "Written off · block {0}",
        "已核销 · 区块 {0}",
    ),
    (
        "fin.done.pledge",
        "Pledge offered · block {0}",
        "已提供质押 · 区块 {0}",
    ),
    (
        "fin.done.accept-pledge",
        "Pledge accepted: goods locked · block {0}",
        "已接受质押：货物已锁定 · 区块 {0}",
    ),
    (
        "fin.done.release",
        "Goods released · block {0}",
        "货物已解押 · 区块 {0}",
    ),
    (
        "fin.done.enforce",
        "Pledge enforced · block {0}",
        "质押物已处置 · 区块 {0}",
    ),
    (
        "fin.done.issue_invoice",
        "Invoice issued · block {0}",
        "发票已开具 · 区块 {0}",
    ),
    (
        "fin.done.issue_receipt",
        "Warehouse receipt issued · block {0}",
        "仓单已签发 · 区块 {0}",
    ),
    // Step forms
    ("fin.f.amount", "Amount", "金额"),
    ("fin.f.reference", "Payment reference", "付款参考号"),
    (
        "fin.f.advance",
        "Advance (% of outstanding)",
        "预付比例（未付余额的 %）",
    ),
    ("fin.f.fee", "Fee", "费用"),
    ("fin.f.to", "To organization", "接收机构"),
    ("fin.f.lender", "Lender", "放款方"),
    ("fin.f.reason", "Reason", "原因"),
    (
        "fin.f.release_scans",
        "Goods to release, one scan per line (empty: all still pledged)",
        "待解押货物，每行一个条码（留空：全部解押）",
    ),
    ("fin.f.choose", "Choose…", "请选择…"),
    ("fin.f.buyer", "Buyer", "买方"),
    ("fin.f.invoice", "Invoice number", "发票号"),
    ("fin.f.due", "Due date", "到期日"),
    ("fin.f.owner", "Owner of the goods", "货主"),
    (
        "fin.f.goods",
        "Goods in your custody, one scan per line (a lot with its quantity: …(10)LOT(30)QTY)",
        "您保管的货物，每行一个条码（批次需注明数量：…(10)批号(30)数量）",
    ),
    (
        "fin.f.handoffs",
        "Accepted deliveries to this buyer",
        "该买方已接收的交货",
    ),
    (
        "fin.f.handoffs_hint",
        "Tick each delivery to invoice and give its amount; each delivery is invoiced once.",
        "勾选要开票的交货并填写金额；每笔交货只能开票一次。",
    ),
    (
        "fin.f.no_handoffs",
        "No accepted deliveries to this buyer among your recent handoffs.",
        "在您最近的交接中，没有该买方已接收的交货。",
    ),
    (
        "fin.f.pick_buyer",
        "Choose the buyer to see its accepted deliveries.",
        "请选择买方以查看其已接收的交货。",
    ),
    ("fin.f.items_n", "{0} items", "{0} 件"),
    ("fin.f.invoiced", "already invoiced", "已开票"),
    ("fin.f.exceptions", "with exceptions", "有异常"),
    ("fin.f.total", "Total", "合计"),
    ("fin.f.issue", "Issue invoice", "开具发票"),
    ("fin.f.issue_receipt", "Issue receipt", "签发仓单"),
    (
        "fin.f.receipt_hint",
        "For goods in your warehouse's custody. Pledged goods cannot move until the lender releases them.",
        "适用于您仓库保管的货物。已质押货物在放款方解押前不能移动。",
    ),
    ("fin.f.missing", "Fill in: {0}", "请填写：{0}"),
    // Lender screen
    ("lender.title", "Lender portfolio", "放款组合"),
    (
        "lender.hint",
        "Computed by the node from the chain: what you financed, how old it is, and what to look at now.",
        "由节点依据链上数据计算：您融资的资产、账龄以及需要关注的事项。",
    ),
    ("lender.open", "Open assets", "未结资产"),
    ("lender.total_out", "Outstanding", "未付余额"),
    ("lender.alerts_n", "Alerts", "预警"),
    ("lender.as_of", "As of block {0}, {1}", "截至区块 {0}，{1}"),
    (
        "lender.deliveries_yours",
        "Deliveries counted on this light node: those of each counterparty in its verified index (to your organisation and behind your assets), not all of them.",
        "此轻节点统计的交付：各交易对手在其已校验索引中的交付（交给贵组织的以及您资产背后的），并非全部。",
    ),
    (
        "fin.proven_at",
        "Handoffs, goods, organisations and products verified against block {0}",
        "交接、货物、组织和产品已对照区块 {0} 校验",
    ),
    (
        "fin.from_index",
        "No peer reachable: handoffs, goods, organisations and products as this node's index last saw them",
        "无可连接节点：交接、货物、组织和产品为本节点索引最后所见",
    ),
    (
        "lender.exposure",
        "Exposure by counterparty",
        "按交易对手的风险敞口",
    ),
    ("lender.ageing", "Ageing of outstanding", "未付余额账龄"),
    (
        "lender.timeline",
        "Assets by status over time",
        "资产状态变化",
    ),
    (
        "lender.counterparties",
        "Counterparty record",
        "交易对手记录",
    ),
    ("lender.rows", "Assets", "资产"),
    ("lender.none", "Nothing financed yet.", "暂无融资资产。"),
    ("lender.no_data", "No data yet.", "暂无数据。"),
    ("lender.assets_n", "{0} assets", "{0} 项资产"),
    ("lender.asset_1", "1 asset", "1 项资产"),
    ("lender.days_past_due", "{0} days past due", "逾期 {0} 天"),
    ("lender.col.asset", "Asset", "资产"),
    ("lender.col.seller", "Seller / warehouse", "卖方 / 仓库"),
    ("lender.col.buyer", "Buyer / owner", "买方 / 货主"),
    ("lender.col.status", "Status", "状态"),
    ("lender.col.outstanding", "Outstanding", "未付余额"),
    ("lender.col.due", "Due", "到期"),
    ("lender.col.alerts", "Alerts", "预警"),
    ("lender.col.name", "Counterparty", "交易对手"),
    ("lender.col.deliveries", "Deliveries", "交货次数"),
    ("lender.col.on_time", "On time", "准时率"),
    ("lender.col.exceptions", "Exceptions", "异常率"),
    ("lender.col.disputes", "Disputes", "争议率"),
    ("lender.col.dilution", "Dilution", "冲减率"),
    ("lender.bucket.current", "Current", "未到期"),
    ("lender.bucket.1-30", "1–30 days", "逾期1–30天"),
    ("lender.bucket.31-60", "31–60 days", "逾期31–60天"),
    ("lender.bucket.61-90", "61–90 days", "逾期61–90天"),
    ("lender.bucket.90+", "Over 90 days", "逾期90天以上"),
    ("lender.as_buyer", "owes", "应付方"),
    ("lender.as_seller", "sold", "出售方"),
    (
        "lender.chart_exposure_desc",
        "Horizontal bars: outstanding per counterparty in {0}",
        "横向条形图：各交易对手的未付余额（{0}）",
    ),
    (
        "lender.chart_ageing_desc",
        "Bars: outstanding by days past due in {0}",
        "柱状图：按逾期天数统计的未付余额（{0}）",
    ),
    (
        "lender.chart_timeline_desc",
        "Stacked bars: assets per status at the end of each day",
        "堆叠柱状图：每日结束时各状态的资产数量",
    ),
    // Alerts: {0} is what it concerns (an item or an org)
    (
        "alert.overdue",
        "Overdue: not paid by the due date",
        "逾期：未在到期日前付款",
    ),
    (
        "alert.defaulted",
        "Defaulted: declared in default",
        "违约：已宣布违约",
    ),
    (
        "alert.recalled",
        "Collateral recalled: {0}",
        "抵押物被召回：{0}",
    ),
    (
        "alert.reported_stolen",
        "Collateral reported stolen: {0}",
        "抵押物被报失窃：{0}",
    ),
    (
        "alert.decommissioned",
        "Collateral destroyed: {0}",
        "抵押物已销毁：{0}",
    ),
    (
        "alert.moved",
        "Pledged goods left the warehouse's custody: {0}",
        "质押货物已离开仓库保管：{0}",
    ),
    (
        "alert.move_refused",
        "An attempt to move pledged goods was refused: {0}",
        "移动质押货物的尝试被拒绝：{0}",
    ),
    (
        "alert.org_suspended",
        "A party is suspended: {0}",
        "参与方已被暂停：{0}",
    ),
    (
        "alert.exception",
        "Invoiced goods reported missing or damaged: {0}",
        "已开票货物报告缺失或损坏：{0}",
    ),
    (
        "alert.terms_mismatch",
        "Sealed terms do not match the chain",
        "加密条款与链上记录不符",
    ),
    (
        "alert.contents_unchecked",
        "Collateral too large to check every item inside: {0}",
        "抵押物内含货物过多，未能逐一核查：{0}",
    ),
    (
        "alert.other",
        "Look at this asset: {0}",
        "请关注此资产：{0}",
    ),
    ("alert.asset", "Asset {0}", "资产 {0}"),
];

/// The text of `key` in `lang` (the key itself if it has none, so a gap is visible).
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    TABLE
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| if lang == Lang::Zh { *zh } else { *en })
        .unwrap_or(key)
}

/// The text of a key made at run time (`fin.st.` + a status), if the table has it.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, en, zh)| if lang == Lang::Zh { *zh } else { *en })
}

/// The table's own `'static` key equal to `key`, if it has one (a [`crate::app::Notice`]
/// keeps a static key).
pub fn static_key(key: &str) -> Option<&'static str> {
    TABLE.iter().find(|(k, _, _)| *k == key).map(|(k, _, _)| *k)
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

    /// Every key the finance and lender screens name in their source is in the table
    /// (keys made at run time end in `.` there and are checked by their own tests).
    #[test]
    fn every_finance_key_in_the_source_has_words() {
        for src in [include_str!("finance.rs"), include_str!("lender.rs")] {
            for part in src.split('"').skip(1).step_by(2) {
                let named = ["fin.", "lender.", "alert.", "notice.fin"]
                    .iter()
                    .any(|p| part.starts_with(p));
                if named && !part.ends_with('.') && !part.contains(' ') && !part.contains('{') {
                    assert!(lookup(Lang::En, part).is_some(), "no words for {part}");
                }
            }
        }
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
