//! Invitation links (`handoff join LINK`): any text a user pastes or a camera reads from
//! an invitation's QR code. Never panics; a refusal is `BAD_INVITE` with a message; an
//! accepted link is within its bounds and writes back to a link that reads as itself.
#![no_main]
use handoff_node::invite::{
    BAD_INVITE, InviteLink, MAX_INVITE_LINK_LEN, MAX_INVITE_NAME_LEN, MAX_LINK_PEERS,
    MAX_PEER_ADDR_LEN,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match InviteLink::parse(&text) {
        Ok(link) => {
            assert!(text.len() <= MAX_INVITE_LINK_LEN);
            assert!(!link.peers.is_empty() && link.peers.len() <= MAX_LINK_PEERS);
            assert!(link.peers.iter().all(|p| p.len() <= MAX_PEER_ADDR_LEN));
            assert!(!link.name.is_empty() && link.name.len() <= MAX_INVITE_NAME_LEN);
            let again = InviteLink::parse(&link.to_link()).expect("a written link reads back");
            assert_eq!(again, link);
        }
        Err(e) => {
            assert_eq!(e.code, BAD_INVITE);
            assert!(!e.message.is_empty());
        }
    }
});
