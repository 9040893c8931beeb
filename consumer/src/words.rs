//! The page's words in English and Chinese, chosen by the browser's language. Reasons
//! are told in everyday words by their stable code; a code the page does not know shows
//! the node's own message.

use crate::check::Step;
use handoff_core::query::Verdict;

/// The page's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// From a browser language tag (`navigator.language`): Chinese for `zh…`.
    pub fn from_tag(tag: &str) -> Lang {
        if tag.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    fn pick(self, en: &'static str, zh: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    /// The verdict's headline.
    pub fn verdict(self, v: Verdict) -> &'static str {
        match v {
            Verdict::Genuine => self.pick("Genuine", "正品"),
            Verdict::Warning => self.pick("Check before you buy", "请注意"),
            Verdict::Counterfeit => self.pick("Not genuine", "非正品"),
        }
    }

    /// The headline when the answer could not be checked.
    pub fn unverified(self) -> &'static str {
        self.pick("Could not verify", "无法核验")
    }

    /// Why "could not verify" matters.
    pub fn unverified_note(self) -> &'static str {
        self.pick(
            "This page could not check the answer it was given, so it cannot tell you the item is genuine.",
            "本页无法核验收到的答复，因此不能确认此商品为正品。",
        )
    }

    /// While fetching and checking.
    pub fn checking(self) -> &'static str {
        self.pick("Checking…", "正在核验…")
    }

    /// A page opened without a product code.
    pub fn no_code(self) -> &'static str {
        self.pick(
            "Scan the QR code on a product to check it.",
            "扫描商品上的二维码进行核验。",
        )
    }

    /// A reason in everyday words.
    pub fn reason(self, code: &str) -> Option<&'static str> {
        Some(match code {
            "GENUINE" => self.pick(
                "Made by the brand and handed on through confirmed handovers to the shop.",
                "由品牌生产，经确认的交接到达商店。",
            ),
            "RECALLED" => self.pick(
                "This product has been recalled. Do not use it.",
                "该产品已被召回，请勿使用。",
            ),
            "STOLEN" => self.pick("This item was reported stolen.", "此商品已被报告失窃。"),
            "ALREADY_CLAIMED" => self.pick(
                "Someone already registered this item as bought. Its code may have been copied.",
                "此商品已被他人登记购买，其代码可能被复制。",
            ),
            "NEVER_COMMISSIONED" => self.pick(
                "No brand ever made an item with this code.",
                "没有品牌生产过带此代码的商品。",
            ),
            "UNKNOWN_PRODUCT" => self.pick(
                "No brand has registered this product.",
                "没有品牌登记过此产品。",
            ),
            "MALFORMED_ID" => self.pick(
                "This is not a valid product code.",
                "这不是有效的产品代码。",
            ),
            "NOT_A_PRODUCT" => self.pick(
                "This code names a shipment, not a product.",
                "此代码标识的是货运单元，而非产品。",
            ),
            "NOT_SERIALIZED" => self.pick(
                "This code names only the product, not this very item, so it cannot be checked.",
                "此代码只标识产品，不标识这一件商品，无法核验。",
            ),
            "OPEN_HANDOFF" => self.pick(
                "It is between two companies: the handover is not confirmed yet.",
                "它正在两家公司之间交接，尚未确认。",
            ),
            "DISPUTED_HANDOFF" => self.pick(
                "A company reported a problem when it received this item.",
                "有公司在收货时报告了问题。",
            ),
            "NOT_AT_RETAILER" => self.pick(
                "It never reached a shop through confirmed handovers.",
                "它从未经确认的交接到达商店。",
            ),
            "EXPIRED" => self.pick("Its use-by date has passed.", "已过保质期。"),
            "UNLICENSED" => self.pick(
                "It was made by a company the brand did not allow to make it.",
                "生产它的公司未获品牌授权。",
            ),
            "CONSUMED" => self.pick(
                "It was used up to make another product.",
                "它已被用于制造其他产品。",
            ),
            "DECOMMISSIONED" => self.pick("It was taken out of circulation.", "它已退出流通。"),
            "MANY_SCANS" => self.pick(
                "This code has been scanned by many different people since it was sold. The label may have been copied.",
                "此代码售出后已被许多不同的人扫描，标签可能被复制。",
            ),
            "SCANS_UNCHECKED" => self.pick(
                "We could not check how often this code was scanned, so we cannot confirm it.",
                "无法查明此代码被扫描的次数，因此不能确认。",
            ),
            "CERTIFICATION_NOT_VALID" => self.pick(
                "A certification the product claims is not valid now.",
                "产品声称的认证目前无效。",
            ),
            _ => return None,
        })
    }

    /// The journey's heading.
    pub fn journey(self) -> &'static str {
        self.pick("Where it has been", "流通历程")
    }

    /// One step in words.
    pub fn step(self, s: &Step) -> String {
        let other = s.other.clone().unwrap_or_default();
        let by = &s.by;
        let what = match (self, s.kind.as_str()) {
            (Lang::En, "commission") => format!("Made by {by}"),
            (Lang::Zh, "commission") => format!("由{by}生产"),
            (Lang::En, "handoff_proposed") => format!("{by} sent it to {other}"),
            (Lang::Zh, "handoff_proposed") => format!("{by}发往{other}"),
            (Lang::En, "handoff_accepted") => format!("{by} received it from {other}"),
            (Lang::Zh, "handoff_accepted") => format!("{by}从{other}收货"),
            (Lang::En, "handoff_rejected") => format!("{by} refused it"),
            (Lang::Zh, "handoff_rejected") => format!("{by}拒收"),
            (Lang::En, "handoff_cancelled") => format!("{by} called the shipment back"),
            (Lang::Zh, "handoff_cancelled") => format!("{by}撤回了发货"),
            (Lang::En, "handoff_exception") => format!("{by} reported it missing or damaged"),
            (Lang::Zh, "handoff_exception") => format!("{by}报告缺失或损坏"),
            (Lang::En, "pack") => format!("Packed for shipping by {by}"),
            (Lang::Zh, "pack") => format!("由{by}装箱"),
            (Lang::En, "unpack") => format!("Unpacked by {by}"),
            (Lang::Zh, "unpack") => format!("由{by}拆箱"),
            (Lang::En, "transform") => format!("Processed by {by}"),
            (Lang::Zh, "transform") => format!("由{by}加工"),
            (Lang::En, "observe") => format!("Checked by {by}"),
            (Lang::Zh, "observe") => format!("由{by}检查"),
            (Lang::En, "sell") => format!("Sold by {by}"),
            (Lang::Zh, "sell") => format!("由{by}售出"),
            (Lang::En, "claim") => "Registered by its buyer".to_string(),
            (Lang::Zh, "claim") => "已由买家登记".to_string(),
            (Lang::En, "recall") => format!("Recalled by {by}"),
            (Lang::Zh, "recall") => format!("由{by}召回"),
            (Lang::En, "stolen") => format!("Reported stolen by {by}"),
            (Lang::Zh, "stolen") => format!("由{by}报告失窃"),
            (Lang::En, "decommission") => format!("Taken out of circulation by {by}"),
            (Lang::Zh, "decommission") => format!("由{by}退出流通"),
            (_, kind) => format!("{} · {by}", kind.replace('_', " ")),
        };
        match (self, s.via) {
            (Lang::En, "input") => format!("Ingredient: {what}"),
            (Lang::Zh, "input") => format!("原料：{what}"),
            (Lang::En, "container") => format!("{what} (in its pallet)"),
            (Lang::Zh, "container") => format!("{what}（随托盘）"),
            _ => what,
        }
    }

    /// Where a step happened.
    pub fn at(self, gln: &str) -> String {
        match self {
            Lang::En => format!("at location {gln}"),
            Lang::Zh => format!("地点 {gln}"),
        }
    }

    /// How the answer was checked.
    pub fn proven(self, height: u64, chain: &str, signed: (usize, usize)) -> String {
        let (n, of) = signed;
        match self {
            Lang::En => format!(
                "Checked in your browser: block {height} of chain {chain}, signed by {n} of its {of} validators."
            ),
            Lang::Zh => format!(
                "已在您的浏览器中核验：链 {chain} 的第 {height} 块，由 {of} 个验证者中的 {n} 个签署。"
            ),
        }
    }

    /// A banner over a recalled item.
    pub fn recall_banner(self) -> &'static str {
        self.pick("RECALLED — do not use", "已召回 — 请勿使用")
    }

    /// A banner over a stolen item.
    pub fn stolen_banner(self) -> &'static str {
        self.pick("REPORTED STOLEN", "已报告失窃")
    }

    /// The certifications' heading.
    pub fn certifications(self) -> &'static str {
        self.pick("Certifications", "认证")
    }

    /// A certification's standing (`CertStatus::as_str`), in words.
    pub fn cert_status(self, status: &str) -> &'static str {
        match status {
            "valid" => self.pick("Valid", "有效"),
            "not_yet_valid" => self.pick("Not valid yet", "尚未生效"),
            "expired" => self.pick("Expired", "已过期"),
            "suspended" => self.pick("Suspended", "已暂停"),
            "revoked" => self.pick("Revoked", "已撤销"),
            _ => self.pick("Unknown", "未知"),
        }
    }

    /// What a certification covers (`item`, `lot`, `product`, `maker`, `place`).
    pub fn cert_via(self, via: &str) -> &'static str {
        match via {
            "item" => self.pick("this item", "此商品"),
            "lot" => self.pick("its batch", "其批次"),
            "product" => self.pick("this product", "此产品"),
            "maker" => self.pick("its maker", "其生产商"),
            _ => self.pick("a place it passed", "其经过的地点"),
        }
    }

    /// Who certified what, and for how long.
    pub fn cert_line(self, issuer: &str, via: &str, from: &str, until: &str) -> String {
        let via = self.cert_via(via);
        match self {
            Lang::En => format!("Certified by {issuer} for {via}, {from} to {until}"),
            Lang::Zh => format!("由{issuer}认证（{via}），{from} 至 {until}"),
        }
    }

    /// The camera button on a page opened without a code.
    pub fn scan_button(self) -> &'static str {
        self.pick("Scan a product", "扫描商品")
    }

    /// The camera button under a verdict.
    pub fn scan_another(self) -> &'static str {
        self.pick("Scan another product", "扫描其他商品")
    }

    /// While the camera looks for a code.
    pub fn scan_hint(self) -> &'static str {
        self.pick(
            "Point the camera at the QR code on the product.",
            "将摄像头对准商品上的二维码。",
        )
    }

    /// Closes the camera.
    pub fn scan_cancel(self) -> &'static str {
        self.pick("Cancel", "取消")
    }

    /// A QR code that names no product.
    pub fn not_a_product_code(self) -> &'static str {
        self.pick(
            "This QR code is not a product code. Look for the code printed on the product or its pack.",
            "此二维码不是商品代码。请扫描印在商品或包装上的二维码。",
        )
    }

    /// The camera could not be used (`CAMERA_*` codes).
    pub fn camera_problem(self, code: &str) -> &'static str {
        match code {
            "CAMERA_DENIED" => self.pick(
                "This page may not use the camera. Allow it in your browser's settings, or open the link in the QR code with your phone's camera app.",
                "本页无权使用摄像头。请在浏览器设置中允许，或用手机相机应用打开二维码中的链接。",
            ),
            "CAMERA_NOT_FOUND" => self.pick(
                "No camera was found on this device.",
                "此设备上没有找到摄像头。",
            ),
            _ => self.pick(
                "The camera could not be started. Open the link in the QR code with your phone's camera app instead.",
                "无法启动摄像头。请改用手机相机应用打开二维码中的链接。",
            ),
        }
    }
}

/// `YYYY-MM-DD` of unix milliseconds (UTC).
pub fn date(ms: i64) -> String {
    let (y, m, d) = handoff_core::query::civil_date(ms);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_700_000_000_000), "2023-11-14");
        assert_eq!(date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn chinese_browsers_get_chinese() {
        assert_eq!(Lang::from_tag("zh-CN"), Lang::Zh);
        assert_eq!(Lang::from_tag("en-US"), Lang::En);
        assert_eq!(Lang::Zh.verdict(Verdict::Genuine), "正品");
    }

    #[test]
    fn every_standing_of_a_certification_has_words() {
        use handoff_core::certify::CertStatus as S;
        for s in [
            S::Valid,
            S::NotYetValid,
            S::Expired,
            S::Suspended,
            S::Revoked,
        ] {
            for l in [Lang::En, Lang::Zh] {
                assert_ne!(
                    l.cert_status(s.as_str()),
                    l.cert_status("?"),
                    "{s:?} in {l:?}"
                );
            }
        }
        assert_eq!(Lang::En.cert_status("suspended"), "Suspended");
        assert_eq!(Lang::Zh.cert_status("expired"), "已过期");
    }

    #[test]
    fn every_reason_the_ledger_gives_has_words() {
        let source = concat!(
            include_str!("../../chain/core/src/query.rs"),
            include_str!("../../chain/core/src/scans.rs")
        );
        let mut codes: Vec<&str> = source
            .split('"')
            .filter(|s| s.len() > 3 && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
            .collect();
        codes.sort();
        codes.dedup();
        assert!(codes.len() > 10, "{codes:?}");
        for c in codes {
            for l in [Lang::En, Lang::Zh] {
                assert!(l.reason(c).is_some(), "no words for {c} in {l:?}");
            }
        }
    }
}
