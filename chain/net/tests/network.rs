//! The network over real sockets on 127.0.0.1 (TCP and QUIC), mDNS off: nodes find each
//! other through bootstrap addresses, gossip waits for the node's verdict, every request
//! kind round-trips, garbage and oversized frames are refused and scored, and a peer
//! reported for misbehaviour is banned. Every test is bounded in time.

use futures::StreamExt;
use handoff_core::block::{Block, BlockHeader, Certificate, CommitSig, Outcome};
use handoff_core::crypto::Keypair;
use handoff_core::proof::RecordProof;
use handoff_core::types::{Hash32, PublicKey};
use handoff_net::limits::MAX_REQUESTS_PER_PEER_PER_SEC;
use handoff_net::{
    CertifiedHeader, ErrorCode, Misbehaviour, Multiaddr, NetConfig, NetError, NetEvent, NetHandle,
    Network, PeerId, Request, Response, Status, SubmitOutcome, Topic, Verdict, peer_id_of,
};
use libp2p::multiaddr::Protocol;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::Receiver;

const TEST_LIMIT: Duration = Duration::from_secs(90);
const WAIT: Duration = Duration::from_secs(20);

fn tcp() -> Multiaddr {
    "/ip4/127.0.0.1/tcp/0".parse().expect("addr")
}

fn quic() -> Multiaddr {
    "/ip4/127.0.0.1/udp/0/quic-v1".parse().expect("addr")
}

struct Node {
    net: NetHandle,
    events: Receiver<NetEvent>,
    id: PeerId,
    /// The first listen address, with `/p2p/<id>`.
    addr: Multiaddr,
}

async fn node(seed: u8, listen: Multiaddr, bootstrap: Vec<Multiaddr>) -> Node {
    let key = Keypair::from_secret([seed; 32]);
    let public = key.public();
    let mut cfg = NetConfig::new(key);
    cfg.listen = vec![listen];
    cfg.bootstrap = bootstrap;
    cfg.mdns = false;
    cfg.request_timeout = Duration::from_secs(5);
    let (net, events) = Network::start(cfg).await.expect("start");
    let id = net.local_peer_id();
    assert_eq!(
        peer_id_of(&public),
        Some(id),
        "peer id derives from the node key"
    );
    let addrs = net.listen_addrs().await.expect("addrs");
    let addr = addrs.first().expect("a listen address").clone();
    assert!(
        addr.to_string().starts_with("/ip4/127.0.0.1/"),
        "loopback only: {addr}"
    );
    Node {
        net,
        events,
        id,
        addr: addr.with(Protocol::P2p(id)),
    }
}

async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, f)
        .await
        .expect("the test took too long")
}

/// Reads events until `f` picks one (others are dropped), or `within` passes.
async fn wait_for<T>(
    events: &mut Receiver<NetEvent>,
    within: Duration,
    mut f: impl FnMut(&NetEvent) -> Option<T>,
) -> Option<T> {
    tokio::time::timeout(within, async {
        while let Some(e) = events.recv().await {
            if let Some(t) = f(&e) {
                return Some(t);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

/// Polls `cond` until it holds or `within` passes.
async fn eventually<F, Fut>(within: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if cond().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

fn gossip(e: &NetEvent) -> Option<(PeerId, Topic, handoff_net::MessageId, Vec<u8>)> {
    match e {
        NetEvent::Gossip {
            peer,
            topic,
            msg_id,
            data,
        } => Some((*peer, *topic, msg_id.clone(), data.clone())),
        _ => None,
    }
}

async fn wait_mesh(net: &NetHandle, topic: Topic, peers: &[PeerId]) {
    let ok = eventually(WAIT, || async {
        let mesh = net.mesh_peers(topic).await.unwrap_or_default();
        peers.iter().all(|p| mesh.contains(p))
    })
    .await;
    assert!(ok, "gossip mesh did not form");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_is_forwarded_only_after_the_node_accepts_it() {
    bounded(async {
        // A line: farm — warehouse — grocer. Farm and grocer know only the warehouse.
        let mut warehouse = node(1, tcp(), vec![]).await;
        let farm = node(2, tcp(), vec![warehouse.addr.clone()]).await;
        let mut grocer = node(3, tcp(), vec![warehouse.addr.clone()]).await;
        wait_mesh(&warehouse.net, Topic::Transactions, &[farm.id, grocer.id]).await;
        wait_mesh(&farm.net, Topic::Transactions, &[warehouse.id]).await;
        assert!(!farm.net.peers().await.expect("peers").contains(&grocer.id));

        let tx = b"signed tx: commission bag 17".to_vec();
        let id = farm
            .net
            .publish(Topic::Transactions, tx.clone())
            .await
            .expect("publish");
        let (from, topic, msg_id, data) = wait_for(&mut warehouse.events, WAIT, gossip)
            .await
            .expect("the warehouse receives the farm's transaction");
        assert_eq!((from, topic, &data), (farm.id, Topic::Transactions, &tx));
        assert_eq!(msg_id, id);
        // The message id is the content hash.
        assert_eq!(msg_id.0, handoff_core::types::sha256(&[&tx]).0.to_vec());

        // Not forwarded while the warehouse's node has not judged it.
        assert!(
            wait_for(&mut grocer.events, Duration::from_secs(2), gossip)
                .await
                .is_none(),
            "forwarded before validation"
        );
        warehouse
            .net
            .report_validation(msg_id, from, Verdict::Accept)
            .await
            .expect("validate");
        let (from, _, _, data) = wait_for(&mut grocer.events, WAIT, gossip)
            .await
            .expect("forwarded once accepted");
        assert_eq!((from, data), (warehouse.id, tx));

        // A message the warehouse rejects never reaches the grocer.
        let bad = b"a transaction with a bad signature".to_vec();
        farm.net
            .publish(Topic::Transactions, bad.clone())
            .await
            .expect("publish");
        let (from, _, msg_id, data) = wait_for(&mut warehouse.events, WAIT, gossip)
            .await
            .expect("the warehouse receives it");
        assert_eq!(data, bad);
        warehouse
            .net
            .report_validation(msg_id, from, Verdict::Reject)
            .await
            .expect("validate");
        assert!(
            wait_for(&mut grocer.events, Duration::from_secs(4), gossip)
                .await
                .is_none(),
            "a rejected message was forwarded"
        );

        // Over a topic's limit is refused before it leaves.
        let e = farm
            .net
            .publish(
                Topic::Transactions,
                vec![0; Topic::Transactions.max_bytes() + 1],
            )
            .await
            .expect_err("refused");
        assert!(matches!(e, NetError::TooLarge { .. }), "{e}");
        for n in [&farm, &warehouse, &grocer] {
            n.net.shutdown().await.expect("shutdown");
        }
    })
    .await
}

fn header_at(height: u64) -> BlockHeader {
    BlockHeader {
        version: 1,
        chain_id: Hash32([7; 32]),
        height,
        prev_hash: Hash32([height as u8; 32]),
        time_ms: 1_764_000_000_000 + height as i64,
        proposer: PublicKey([9; 32]),
        tx_count: 1,
        tx_root: Hash32([3; 32]),
        state_root: Hash32([4; 32]),
        concerns_root: handoff_core::concerns::Concerns::default().root(),
    }
}

fn certificate() -> Certificate {
    Certificate {
        round: 1,
        sigs: vec![CommitSig {
            validator: PublicKey([9; 32]),
            signature: [5; 64],
        }],
    }
}

/// What the test's full node answers (a stand-in for the node layer).
fn answer(request: &Request) -> Response {
    match request {
        Request::Status => Response::Status(Status {
            chain_id: Hash32([7; 32]),
            height: 41,
            tip_hash: Hash32([41; 32]),
        }),
        Request::Blocks { from, count } => Response::Blocks(
            (*from..from + u64::from(*count))
                .map(|h| Block {
                    header: header_at(h),
                    certificate: certificate(),
                    concerns: Default::default(),
                    txs: vec![vec![h as u8; 100]],
                    outcomes: vec![Outcome {
                        code: None,
                        message: None,
                    }],
                })
                .collect(),
        ),
        Request::Headers { from, count } => Response::Headers(
            (*from..from + u64::from(*count))
                .map(|h| CertifiedHeader {
                    header: header_at(h),
                    certificate: certificate(),
                    concerns: Default::default(),
                })
                .collect(),
        ),
        Request::Record { height, key } if *height <= 41 => Response::Record(RecordProof {
            height: *height,
            key: key.clone(),
            value: Some(b"custodian: roaster".to_vec()),
            proof: vec![1; 300],
        }),
        Request::Record { .. } => Response::error(ErrorCode::Unavailable, "beyond the tip"),
        Request::TxLocation { nonce, .. } => Response::TxLocation(Some((*nonce, 0))),
        Request::Records { .. } => Response::Records(vec![]),
        Request::History { height, key, from } => Response::History(handoff_net::HistoryPage {
            record: RecordProof {
                height: *height,
                key: key.as_bytes().to_vec(),
                value: Some(b"the bag's record".to_vec()),
                proof: vec![2; 200],
            },
            from: *from,
            events: vec![b"commissioned".to_vec(), b"offered to the roaster".to_vec()],
        }),
        Request::Genesis => Response::Genesis(b"genesis".to_vec()),
        Request::Join { .. } => Response::Joined(handoff_net::JoinOutcome::Refused {
            code: "UNKNOWN_TICKET".into(),
            message: "no such invitation".into(),
        }),
        Request::SubmitTx { tx } if tx.starts_with(b"good") => {
            Response::Submitted(SubmitOutcome::Accepted)
        }
        Request::SubmitTx { .. } => Response::Submitted(SubmitOutcome::Rejected {
            code: "MALFORMED".into(),
            message: "undecodable body".into(),
        }),
    }
}

/// Answers every request with `answer` and counts them; forwards everything else to the
/// returned receiver.
fn serve(
    mut node_events: Receiver<NetEvent>,
    net: NetHandle,
) -> (Receiver<NetEvent>, Arc<AtomicUsize>) {
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        while let Some(e) = node_events.recv().await {
            match e {
                NetEvent::Request { request, reply, .. } => {
                    count.fetch_add(1, Ordering::SeqCst);
                    let _ = net.respond(reply, answer(&request)).await;
                }
                other => {
                    let _ = tx.try_send(other);
                }
            }
        }
    });
    (rx, served)
}

fn every_request() -> Vec<Request> {
    vec![
        Request::Status,
        Request::Blocks { from: 5, count: 3 },
        Request::Headers {
            from: 0,
            count: 512,
        },
        Request::Record {
            height: 40,
            key: b"item/01/09506000134352/21/BAG17".to_vec(),
        },
        Request::Record {
            height: 99,
            key: b"item".to_vec(),
        },
        Request::SubmitTx {
            tx: b"good: propose bag 17 to the roaster".to_vec(),
        },
        Request::SubmitTx { tx: vec![0xff; 40] },
        Request::History {
            height: 40,
            key: "/01/09506000134352/21/BAG17".into(),
            from: 0,
        },
        Request::Genesis,
        Request::Join {
            ticket: [7; 32],
            name: "Harbor Logistics".into(),
            org: PublicKey([4; 32]),
            signature: [1; 64],
        },
    ]
}

async fn requests_round_trip(listen: Multiaddr) {
    let full = node(10, listen.clone(), vec![]).await;
    let light = node(11, listen, vec![full.addr.clone()]).await;
    let (_rest, served) = serve(full.events, full.net.clone());
    assert!(
        eventually(WAIT, || async {
            light
                .net
                .peers()
                .await
                .unwrap_or_default()
                .contains(&full.id)
        })
        .await
    );
    for r in every_request() {
        let got = light.net.request(full.id, r.clone()).await.expect("answer");
        assert_eq!(got, answer(&r), "{r:?}");
    }
    assert_eq!(served.load(Ordering::SeqCst), every_request().len());

    // A flood: past the per-second budget the full node answers Busy without asking its
    // node layer, and scores the flooder once per window.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let before = served.load(Ordering::SeqCst);
    let mut answered = 0;
    let mut busy = false;
    for _ in 0..400 {
        match light
            .net
            .request(full.id, Request::Status)
            .await
            .expect("answer")
        {
            Response::Error {
                code: ErrorCode::Busy,
                ..
            } => {
                busy = true;
                break;
            }
            r => assert_eq!(r, answer(&Request::Status)),
        }
        answered += 1;
    }
    assert!(busy, "no Busy after {answered} requests");
    assert!(
        answered >= MAX_REQUESTS_PER_PEER_PER_SEC as usize,
        "{answered}"
    );
    assert_eq!(served.load(Ordering::SeqCst) - before, answered);
    assert_eq!(full.net.score(light.id).await.expect("score"), (-10, false));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // A request over a bound is refused before it leaves.
    let e = light
        .net
        .request(full.id, Request::Blocks { from: 0, count: 65 })
        .await
        .expect_err("refused");
    assert!(matches!(e, NetError::Wire(_)), "{e}");
    light.net.shutdown().await.expect("shutdown");
    full.net.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_kind_round_trips_over_tcp() {
    bounded(requests_round_trip(tcp())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quic_works_as_well_as_tcp() {
    bounded(async {
        requests_round_trip(quic()).await;
        // Gossip over QUIC too.
        let mut a = node(12, quic(), vec![]).await;
        let b = node(13, quic(), vec![a.addr.clone()]).await;
        assert!(a.addr.to_string().contains("/quic-v1/"));
        wait_mesh(&b.net, Topic::Blocks, &[a.id]).await;
        b.net
            .publish(Topic::Blocks, b"header 42 + certificate".to_vec())
            .await
            .expect("publish");
        let (from, topic, _, data) = wait_for(&mut a.events, WAIT, gossip)
            .await
            .expect("received over QUIC");
        assert_eq!(
            (from, topic, data),
            (b.id, Topic::Blocks, b"header 42 + certificate".to_vec())
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_reported_repeatedly_is_disconnected_and_cannot_reconnect() {
    bounded(async {
        let mut roaster = node(20, tcp(), vec![]).await;
        let forger = node(21, tcp(), vec![roaster.addr.clone()]).await;
        let connected = wait_for(&mut roaster.events, WAIT, |e| {
            matches!(e, NetEvent::PeerConnected(p) if *p == forger.id).then_some(())
        })
        .await;
        assert!(connected.is_some());

        // One bad block is not enough to ban.
        roaster
            .net
            .report(forger.id, Misbehaviour::InvalidBlock)
            .await
            .expect("report");
        assert_eq!(
            roaster.net.score(forger.id).await.expect("score"),
            (-50, false)
        );
        assert!(
            roaster
                .net
                .peers()
                .await
                .expect("peers")
                .contains(&forger.id)
        );

        roaster
            .net
            .report(forger.id, Misbehaviour::BadSignature)
            .await
            .expect("report");
        let banned = wait_for(&mut roaster.events, WAIT, |e| {
            matches!(e, NetEvent::PeerBanned(p) if *p == forger.id).then_some(())
        })
        .await;
        assert!(banned.is_some(), "banned");
        assert!(
            roaster.net.score(forger.id).await.expect("score").1,
            "banned"
        );
        assert!(
            eventually(WAIT, || async {
                !roaster
                    .net
                    .peers()
                    .await
                    .unwrap_or_default()
                    .contains(&forger.id)
                    && !forger
                        .net
                        .peers()
                        .await
                        .unwrap_or_default()
                        .contains(&roaster.id)
            })
            .await,
            "disconnected"
        );

        // The forger dials again (and its bootstrap redial keeps trying): refused.
        let _ = forger.net.dial(roaster.addr.clone()).await;
        let back = wait_for(&mut roaster.events, Duration::from_secs(4), |e| {
            matches!(e, NetEvent::PeerConnected(p) if *p == forger.id).then_some(())
        })
        .await;
        assert!(back.is_none(), "a banned peer reconnected");
        assert!(
            !roaster
                .net
                .peers()
                .await
                .expect("peers")
                .contains(&forger.id)
        );
        // It cannot ask anything either.
        assert!(
            forger
                .net
                .request(roaster.id, Request::Status)
                .await
                .is_err()
        );
    })
    .await
}

mod raw {
    //! A peer that speaks the request protocol with raw bytes: it sends frames the
    //! Handoff codec would never produce.
    use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
    use libp2p::StreamProtocol;
    use std::io;

    #[derive(Clone, Default)]
    pub struct RawCodec;

    impl libp2p::request_response::Codec for RawCodec {
        type Protocol = StreamProtocol;
        type Request = Vec<u8>;
        type Response = Vec<u8>;

        async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
        where
            T: AsyncRead + Unpin + Send,
        {
            let mut v = Vec::new();
            io.take(1 << 20).read_to_end(&mut v).await?;
            Ok(v)
        }

        async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
        where
            T: AsyncRead + Unpin + Send,
        {
            let mut v = Vec::new();
            io.take(1 << 20).read_to_end(&mut v).await?;
            Ok(v)
        }

        async fn write_request<T>(
            &mut self,
            _: &StreamProtocol,
            io: &mut T,
            req: Vec<u8>,
        ) -> io::Result<()>
        where
            T: AsyncWrite + Unpin + Send,
        {
            io.write_all(&req).await?;
            io.close().await
        }

        async fn write_response<T>(
            &mut self,
            _: &StreamProtocol,
            io: &mut T,
            res: Vec<u8>,
        ) -> io::Result<()>
        where
            T: AsyncWrite + Unpin + Send,
        {
            io.write_all(&res).await?;
            io.close().await
        }
    }
}

type RawBehaviour = libp2p::request_response::Behaviour<raw::RawCodec>;
type RawEvent = libp2p::request_response::Event<Vec<u8>, Vec<u8>>;

fn raw_peer() -> libp2p::Swarm<RawBehaviour> {
    use libp2p::request_response::{Config, ProtocolSupport};
    libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            Default::default(),
            libp2p::noise::Config::new,
            libp2p::yamux::Config::default,
        )
        .expect("tcp")
        .with_behaviour(|_| {
            RawBehaviour::with_codec(
                raw::RawCodec,
                [(handoff_net::codec::REQUEST_PROTOCOL, ProtocolSupport::Full)],
                Config::default().with_request_timeout(Duration::from_secs(5)),
            )
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build()
}

/// Sends raw bytes as a request and drives the swarm until that request ends; the answer
/// decoded, if one came.
async fn send_raw(
    swarm: &mut libp2p::Swarm<RawBehaviour>,
    to: PeerId,
    bytes: Vec<u8>,
) -> Option<Response> {
    use libp2p::request_response::{Event, Message};
    use libp2p::swarm::SwarmEvent;
    let id = swarm.behaviour_mut().send_request(&to, bytes);
    loop {
        match swarm.select_next_some().await {
            SwarmEvent::Behaviour(Event::Message {
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            }) if request_id == id => {
                let body = response.get(4..)?;
                return Response::decode(body).ok();
            }
            SwarmEvent::Behaviour(Event::OutboundFailure { request_id, .. })
                if request_id == id =>
            {
                return None;
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_frames_are_refused_and_scored() {
    bounded(async {
        let full = node(30, tcp(), vec![]).await;
        let full_id = full.id;
        let (mut full_events, served) = serve(full.events, full.net.clone());

        let mut evil = raw_peer();
        let evil_id = *evil.local_peer_id();
        evil.listen_on(tcp()).expect("listen");
        evil.dial(full.addr.clone()).expect("dial");
        loop {
            if let libp2p::swarm::SwarmEvent::ConnectionEstablished { peer_id, .. } =
                evil.select_next_some().await
                && peer_id == full_id
            {
                break;
            }
        }

        // Garbage: a well-framed body that is no request.
        let mut garbage = 3u32.to_le_bytes().to_vec();
        garbage.extend_from_slice(&[0xee, 0x01, 0x02]);
        let bad_request = |r: &Option<Response>| {
            matches!(
                r,
                Some(Response::Error {
                    code: ErrorCode::BadRequest,
                    ..
                })
            )
        };
        let r = send_raw(&mut evil, full_id, garbage).await;
        assert!(bad_request(&r), "garbage was not refused: {r:?}");
        assert!(
            eventually(WAIT, || async {
                full.net.score(evil_id).await.ok().map(|s| s.0) == Some(-40)
            })
            .await,
            "garbage scored"
        );

        // Oversized: a length prefix of 4 GB (nothing is allocated for it).
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0; 64]);
        let r = send_raw(&mut evil, full_id, huge).await;
        // Refused with BadRequest, or the stream reset while the peer was still sending.
        assert!(
            r.is_none() || bad_request(&r),
            "oversized was not refused: {r:?}"
        );
        assert!(
            eventually(WAIT, || async {
                full.net.score(evil_id).await.ok().map(|s| s.0) == Some(-80)
            })
            .await,
            "oversized scored"
        );

        // A valid frame from the same peer is still answered, and the node never saw
        // the refused ones.
        let ok = handoff_net::Request::Status.encode().expect("encode");
        let mut frame = (ok.len() as u32).to_le_bytes().to_vec();
        frame.extend_from_slice(&ok);
        assert_eq!(
            served.load(Ordering::SeqCst),
            0,
            "the node saw a refused frame"
        );
        assert_eq!(
            send_raw(&mut evil, full_id, frame).await,
            Some(answer(&Request::Status)),
            "a valid request from the same peer"
        );
        assert_eq!(served.load(Ordering::SeqCst), 1);

        // A light node asking the evil peer gets refused garbage back, and scores it.
        let light = node(31, tcp(), vec![full.addr.clone()]).await;
        let evil_addr = loop {
            if let Some(a) = evil.listeners().next() {
                break a.clone().with(Protocol::P2p(evil_id));
            }
            evil.select_next_some().await;
        };
        light.net.dial(evil_addr).await.expect("dial");
        let asking = light.net.request(evil_id, Request::Status);
        tokio::pin!(asking);
        let answered = loop {
            tokio::select! {
                r = &mut asking => break r,
                e = evil.select_next_some() => {
                    if let libp2p::swarm::SwarmEvent::Behaviour(RawEvent::Message {
                        message: libp2p::request_response::Message::Request { channel, .. },
                        ..
                    }) = e
                    {
                        let _ = evil.behaviour_mut().send_response(channel, vec![9, 0, 0, 0, 1, 2]);
                    }
                }
            }
        };
        assert!(
            answered.is_err(),
            "a garbage answer was accepted: {answered:?}"
        );
        let s = light.net.score(evil_id).await.expect("score").0;
        assert!(s < 0, "the garbage answer was not scored: {s}");
        // The full node is unharmed and still answers.
        assert_eq!(
            light
                .net
                .request(full_id, Request::Status)
                .await
                .expect("status"),
            answer(&Request::Status)
        );
        while full_events.try_recv().is_ok() {}
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrap_peer_that_restarts_is_redialed() {
    bounded(async {
        let hub = node(40, tcp(), vec![]).await;
        let port = hub
            .addr
            .iter()
            .find_map(|p| match p {
                Protocol::Tcp(port) => Some(port),
                _ => None,
            })
            .expect("a tcp port");
        let mut shop = node(41, tcp(), vec![hub.addr.clone()]).await;
        let up = wait_for(&mut shop.events, WAIT, |e| {
            matches!(e, NetEvent::PeerConnected(p) if *p == hub.id).then_some(())
        })
        .await;
        assert!(up.is_some(), "connected through the bootstrap address");

        // The hub goes away; the shop notices.
        hub.net.shutdown().await.expect("shutdown");
        let down = wait_for(&mut shop.events, WAIT, |e| {
            matches!(e, NetEvent::PeerDisconnected(p) if *p == hub.id).then_some(())
        })
        .await;
        assert!(down.is_some(), "disconnect seen");

        // The same node (same key, same port) comes back: the shop redials it by itself.
        let again: Multiaddr = format!("/ip4/127.0.0.1/tcp/{port}").parse().expect("addr");
        let hub = node(40, again, vec![]).await;
        let back = wait_for(&mut shop.events, WAIT, |e| {
            matches!(e, NetEvent::PeerConnected(p) if *p == hub.id).then_some(())
        })
        .await;
        assert!(back.is_some(), "redialed after the restart");
        assert!(shop.net.peers().await.expect("peers").contains(&hub.id));
    })
    .await
}
