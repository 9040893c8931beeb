//! What a GS1 Digital Link resolver reads from a request: the Digital Link under any path
//! prefix, the AI attributes of its query, and the link type asked for. Shared by the
//! node's resolver and the consumer page, so both check the very same scan.

/// The primary-key AIs a resolver answers (GTIN, SSCC, GLN).
pub const RESOLVED_AIS: &[&str] = &["01", "00", "414"];

/// The host the resolver puts in front of a request's path to make it a scan; the scan's
/// meaning does not depend on it.
pub const RESOLVER_HOST: &str = "https://id.handoff.invalid";

/// The part of a request path from its first primary-key AI on (`/01/…/21/…`), or `None`
/// when the path is no Digital Link. The prefix before it is anything the host chose.
pub fn digital_link_part(path: &str) -> Option<&str> {
    let mut offset = 0;
    let mut prev: Option<(usize, &str)> = None;
    for seg in path.split('/') {
        let at = offset;
        offset += seg.len() + 1;
        if let Some((p_at, ai)) = prev
            && p_at > 0
            && RESOLVED_AIS.contains(&ai)
            && !seg.is_empty()
        {
            return Some(&path[p_at - 1..]);
        }
        prev = Some((at, seg));
    }
    None
}

/// A resolver request: the scan to check and the link type asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolverRequest {
    /// The Digital Link part of the path.
    pub path: String,
    /// The Digital Link as a scan, with the query's AI attributes (`17=…`) and nothing
    /// else of it.
    pub scan: String,
    /// `linkType` of the query, percent-decoded.
    pub link_type: Option<String>,
}

/// Reads a request's path and query; `None` when the path is no Digital Link.
pub fn resolver_request(path: &str, query: Option<&str>) -> Option<ResolverRequest> {
    let dl = digital_link_part(path)?;
    let mut kept = Vec::new();
    let mut link_type = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "linkType" {
            link_type = Some(
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            );
        } else if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) {
            kept.push(pair);
        }
    }
    let scan = if kept.is_empty() {
        format!("{RESOLVER_HOST}{dl}")
    } else {
        format!("{RESOLVER_HOST}{dl}?{}", kept.join("&"))
    };
    Some(ResolverRequest {
        path: dl.to_string(),
        scan,
        link_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digital_links_are_found_under_any_prefix_and_nothing_else_is() {
        assert_eq!(
            digital_link_part("/01/09506000134352/21/ABC"),
            Some("/01/09506000134352/21/ABC")
        );
        assert_eq!(
            digital_link_part("/brand/shop/01/09506000134352/10/L1"),
            Some("/01/09506000134352/10/L1")
        );
        assert_eq!(
            digital_link_part("/00/106141412345678908"),
            Some("/00/106141412345678908")
        );
        for not in [
            "",
            "/",
            "/index.html",
            "/01",
            "/01/",
            "/style.css",
            "/c/x.js",
        ] {
            assert_eq!(digital_link_part(not), None, "{not}");
        }
    }

    #[test]
    fn the_query_keeps_ai_attributes_and_takes_out_the_link_type() {
        let r = resolver_request(
            "/x/01/09506000134352/21/A",
            Some("17=261231&linkType=gs1%3Apip&utm=x"),
        )
        .expect("a link");
        assert_eq!(r.path, "/01/09506000134352/21/A");
        assert_eq!(
            r.scan,
            "https://id.handoff.invalid/01/09506000134352/21/A?17=261231"
        );
        assert_eq!(r.link_type.as_deref(), Some("gs1:pip"));
        let plain = resolver_request("/01/09506000134352/21/A", None).expect("a link");
        assert_eq!(
            plain.scan,
            "https://id.handoff.invalid/01/09506000134352/21/A"
        );
        assert_eq!(plain.link_type, None);
    }
}
