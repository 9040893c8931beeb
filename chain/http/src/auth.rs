//! Bearer tokens, one per identity of the node's data folder.
//!
//! The identity rule. A token made for one identity (`handoff node token NAME`) stands
//! for that identity only: an action sent with it is signed by it, and a request naming
//! another identity in [`IDENTITY_HEADER`] is refused (403 `IDENTITY_FORBIDDEN`). The
//! node's own token (the one in `node.json`, readable only by the folder's owner) stands
//! for the owner: its requests act as the identity [`IDENTITY_HEADER`] names (what
//! `handoff --as NAME` sends), or as the folder's default identity without it, and may
//! use the node's validator key (`Caller::owner`). Only SHA-256 digests of the tokens are kept, and a presented token is
//! compared with every one of them in constant time, so response times tell a client
//! nothing about how close its guess was, nor which identity it nearly matched.

use crate::api::{ApiError, Caller, ErrorKind};
use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The header a request names the identity it acts as in (`handoff --as NAME`).
pub const IDENTITY_HEADER: &str = "handoff-identity";

/// The tokens a server accepts.
#[derive(Clone, Default)]
pub struct Tokens {
    entries: Vec<([u8; 32], Option<String>)>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the digests: a debug print of a server's options leaks nothing.
        f.debug_struct("Tokens")
            .field(
                "identities",
                &self.entries.iter().map(|(_, i)| i).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Tokens {
    /// No tokens: every route that needs one is refused.
    pub fn new() -> Tokens {
        Tokens::default()
    }

    /// Accepts `token` for `identity` (`None`: the folder's default identity). An empty
    /// token is never accepted.
    pub fn with(mut self, token: &str, identity: Option<String>) -> Tokens {
        if !token.is_empty() {
            self.entries
                .push((Sha256::digest(token.as_bytes()).into(), identity));
        }
        self
    }

    /// Accepts the token whose SHA-256 digest is `digest` for `identity` (tokens made
    /// for an identity are kept only as their digest).
    pub fn with_digest(mut self, digest: [u8; 32], identity: Option<String>) -> Tokens {
        self.entries.push((digest, identity));
        self
    }

    /// The SHA-256 digest a token is kept as.
    pub fn digest(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The caller a presented token stands for, if it is one of these.
    pub fn caller_for(&self, presented: &str) -> Option<Caller> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found: Option<&Option<String>> = None;
        // Every entry is compared, matched or not.
        for (want, identity) in &self.entries {
            if bool::from(digest.ct_eq(want)) && !presented.is_empty() {
                found = Some(identity);
            }
        }
        found.map(|identity| Caller {
            identity: identity.clone(),
            authenticated: true,
            owner: identity.is_none(),
            client: None,
        })
    }

    /// The caller of a request by the identity rule (see the module): its token's
    /// identity, or for the node's own token the identity [`IDENTITY_HEADER`] names.
    /// `Ok(None)`: no valid token. A per-identity token naming another identity is
    /// `IDENTITY_FORBIDDEN`; a header that is not text or names nothing is `BAD_REQUEST`.
    pub fn caller_as(&self, headers: &HeaderMap) -> Result<Option<Caller>, ApiError> {
        let Some(mut caller) = self.caller(headers) else {
            return Ok(None);
        };
        let mut named = headers.get_all(IDENTITY_HEADER).iter();
        let asked = match (named.next(), named.next()) {
            (None, _) => return Ok(Some(caller)),
            (Some(v), None) => v
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    ApiError::input(
                        "BAD_REQUEST",
                        format!("the {IDENTITY_HEADER} header must name an identity"),
                    )
                })?
                .to_string(),
            (Some(_), Some(_)) => {
                return Err(ApiError::input(
                    "BAD_REQUEST",
                    format!("the {IDENTITY_HEADER} header is given more than once"),
                ));
            }
        };
        match &caller.identity {
            _ if caller.owner => caller.identity = Some(asked),
            Some(own) if *own == asked => {}
            own => {
                return Err(ApiError::new(
                    ErrorKind::Forbidden,
                    "IDENTITY_FORBIDDEN",
                    format!(
                        "this token acts only as {}, not as {asked}",
                        own.as_deref().unwrap_or("the folder's default identity")
                    ),
                ));
            }
        }
        Ok(Some(caller))
    }

    /// The caller of a request: the identity of its `Authorization: Bearer` token, or
    /// `None` when it presents no valid one.
    pub fn caller(&self, headers: &HeaderMap) -> Option<Caller> {
        let mut found = None;
        for v in headers.get_all(header::AUTHORIZATION) {
            let presented = v
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if let Some(c) = self.caller_for(presented) {
                found = Some(c);
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const TOKEN: &str = "5f2b9c0e41d7a8b36e9f0c1d2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";
    const SHOP: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                header::AUTHORIZATION,
                HeaderValue::from_str(v).expect("header"),
            );
        }
        h
    }

    fn tokens() -> Tokens {
        Tokens::new()
            .with(TOKEN, None)
            .with_digest(Tokens::digest(SHOP), Some("Corner Shop".into()))
    }

    #[test]
    fn only_the_exact_bearer_token_is_authorized() {
        let t = tokens();
        assert_eq!(
            t.caller(&headers(&[&format!("Bearer {TOKEN}")])),
            Some(Caller {
                identity: None,
                authenticated: true,
                owner: true,
                client: None,
            })
        );
        // One wrong character, at the start or at the end; a prefix; the token alone.
        let mut last = TOKEN.to_string();
        last.replace_range(63.., "e");
        let mut first = TOKEN.to_string();
        first.replace_range(..1, "6");
        for wrong in [
            format!("Bearer {last}"),
            format!("Bearer {first}"),
            format!("Bearer {}", &TOKEN[..32]),
            format!("Bearer {TOKEN}0"),
            TOKEN.to_string(),
            format!("Basic {TOKEN}"),
            "Bearer ".to_string(),
        ] {
            assert_eq!(t.caller(&headers(&[&wrong])), None, "{wrong}");
        }
        assert_eq!(t.caller(&headers(&[])), None);
        // A right header among others still authorizes.
        assert!(
            t.caller(&headers(&["Bearer nope", &format!("Bearer {TOKEN}")]))
                .is_some()
        );
        // No token at all accepts nothing, not even an empty one.
        assert_eq!(Tokens::new().with("", None).caller_for(""), None);
    }

    #[test]
    fn a_token_stands_for_its_identity() {
        let t = tokens();
        assert_eq!(
            t.caller_for(SHOP).and_then(|c| c.identity),
            Some("Corner Shop".to_string())
        );
        assert_eq!(t.caller_for(TOKEN).map(|c| c.identity), Some(None));
        // A debug print of the tokens shows identities, never digests.
        let printed = format!("{t:?}");
        assert!(printed.contains("Corner Shop"), "{printed}");
        assert!(
            !printed.contains(&hex_of(&Tokens::digest(SHOP))),
            "{printed}"
        );
    }

    #[test]
    fn the_owner_acts_as_any_identity_a_token_of_one_only_as_it() {
        let t = tokens();
        let with = |token: &str, asked: &[&str]| {
            let mut h = headers(&[&format!("Bearer {token}")]);
            for a in asked {
                h.append(IDENTITY_HEADER, HeaderValue::from_str(a).expect("header"));
            }
            t.caller_as(&h)
        };
        // The node's own token: the default identity, or the one it names, as the owner.
        assert_eq!(with(TOKEN, &[]), Ok(Some(Caller::local(None))));
        assert_eq!(
            with(TOKEN, &["Corner Shop"]),
            Ok(Some(Caller::local(Some("Corner Shop"))))
        );
        // A token made for one identity: that identity, never the owner, never another.
        assert_eq!(
            with(SHOP, &[]),
            Ok(Some(Caller::identity_only("Corner Shop")))
        );
        assert_eq!(
            with(SHOP, &["Corner Shop"]),
            Ok(Some(Caller::identity_only("Corner Shop")))
        );
        let e = with(SHOP, &["Acme Farms"]).expect_err("another identity");
        assert_eq!(
            (e.code.as_str(), e.http_status()),
            ("IDENTITY_FORBIDDEN", 403)
        );
        // Naming twice, or nothing, is a bad request; no token is no caller at all.
        let e = with(TOKEN, &["Acme Farms", "Corner Shop"]).expect_err("twice");
        assert_eq!(e.http_status(), 400);
        assert_eq!(with(TOKEN, &[" "]).map_err(|e| e.http_status()), Err(400));
        let mut h = headers(&["Bearer nope"]);
        h.append(IDENTITY_HEADER, HeaderValue::from_static("Acme Farms"));
        assert_eq!(t.caller_as(&h), Ok(None));
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
