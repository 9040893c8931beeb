//! The running network: one tokio task owns the libp2p swarm; the node talks to it
//! through a cloneable [`NetHandle`] (commands) and a channel of [`NetEvent`]s.

use crate::codec::{REQUEST_PROTOCOL, RequestFrame, WireCodec, wire_error};
use crate::limits::*;
use crate::score::{Misbehaviour, PeerScores, RateLimit, ScoreConfig, ScoreVerdict};
use crate::wire::{ErrorCode, Request, Response, WireError};
use futures::StreamExt;
use handoff_core::crypto::Keypair;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance, MessageId, TopicHash};
use libp2p::request_response::{self, OutboundFailure, OutboundRequestId, ProtocolSupport};
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, NetworkBehaviour, SwarmEvent};
use libp2p::{
    Multiaddr, PeerId, Swarm, allow_block_list, connection_limits, identify, mdns, noise, ping,
    tcp, yamux,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Name of the identify protocol version Handoff nodes announce.
pub const IDENTIFY_PROTOCOL: &str = "/handoff/id/1";

/// A gossip topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Signed transactions (`handoff/tx/1`).
    Transactions,
    /// Block announcements: header and certificate (`handoff/block/1`).
    Blocks,
    /// Consensus messages, opaque bytes of the consensus crate (`handoff/consensus/1`).
    Consensus,
}

impl Topic {
    /// Every topic a node subscribes to.
    pub const ALL: [Topic; 3] = [Topic::Transactions, Topic::Blocks, Topic::Consensus];

    /// The topic's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Transactions => "handoff/tx/1",
            Topic::Blocks => "handoff/block/1",
            Topic::Consensus => "handoff/consensus/1",
        }
    }

    /// The largest message allowed on it.
    pub fn max_bytes(self) -> usize {
        match self {
            Topic::Transactions => MAX_TX_GOSSIP_BYTES,
            Topic::Blocks => MAX_BLOCK_GOSSIP_BYTES,
            Topic::Consensus => MAX_CONSENSUS_GOSSIP_BYTES,
        }
    }

    fn ident(self) -> IdentTopic {
        IdentTopic::new(self.name())
    }

    fn from_hash(h: &TopicHash) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.ident().hash() == *h)
    }
}

/// The node's judgement of a gossiped message. Nothing is forwarded before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: deliver and forward to the mesh.
    Accept,
    /// Invalid: drop, and penalise the peer that sent it in gossipsub's score.
    Reject,
    /// Not forwarded, no penalty (stale, already known, not interesting).
    Ignore,
}

/// Connection limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Established connections in total.
    pub max_established: u32,
    /// Established connections to one peer.
    pub max_established_per_peer: u32,
    /// Incoming connections being set up.
    pub max_pending_incoming: u32,
    /// Outgoing connections being set up.
    pub max_pending_outgoing: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_established: MAX_ESTABLISHED,
            max_established_per_peer: MAX_ESTABLISHED_PER_PEER,
            max_pending_incoming: MAX_PENDING_INCOMING,
            max_pending_outgoing: MAX_PENDING_OUTGOING,
        }
    }
}

/// Everything [`Network::start`] needs.
pub struct NetConfig {
    /// The node's own ed25519 key; the libp2p identity derives from it, so the peer id
    /// is stable across restarts and tied to the node's key.
    pub key: Keypair,
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/7420`, `/ip4/0.0.0.0/udp/7420/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// Peers dialed at start and redialed with backoff while not connected.
    pub bootstrap: Vec<Multiaddr>,
    /// Find peers on the local network with mDNS.
    pub mdns: bool,
    /// Connection limits.
    pub limits: Limits,
    /// Misbehaviour scoring and bans.
    pub score: ScoreConfig,
    /// How long a request waits for its response.
    pub request_timeout: Duration,
    /// Gossipsub heartbeat (mesh maintenance) interval.
    pub gossip_heartbeat: Duration,
    /// How long a connection with no open streams stays up.
    pub idle_timeout: Duration,
}

impl NetConfig {
    /// Defaults: no listen address, no bootstrap peers, mDNS on.
    pub fn new(key: Keypair) -> NetConfig {
        NetConfig {
            key,
            listen: Vec::new(),
            bootstrap: Vec::new(),
            mdns: true,
            limits: Limits::default(),
            score: ScoreConfig::default(),
            request_timeout: REQUEST_TIMEOUT,
            gossip_heartbeat: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(120),
        }
    }
}

/// Operational failures of the network.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The swarm could not be built (transport, key, gossipsub parameters).
    #[error("network setup failed: {0}")]
    Setup(String),
    /// A listen address was refused.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// The network task has stopped (shut down, or the runtime is gone).
    #[error("the network has stopped")]
    Closed,
    /// A message over its topic's limit was not published.
    #[error("a {topic} message of {len} bytes is over the limit of {max}")]
    TooLarge {
        /// The topic's name.
        topic: &'static str,
        /// The message size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// gossipsub refused to publish (no peers on the topic, duplicate…).
    #[error("publish failed: {0}")]
    Publish(String),
    /// A request failed (dial failure, connection closed, bad answer…).
    #[error("request to {peer} failed: {reason}")]
    Request {
        /// The peer asked.
        peer: PeerId,
        /// Why.
        reason: String,
    },
    /// A request got no answer in time.
    #[error("request to {peer} timed out")]
    Timeout {
        /// The peer asked.
        peer: PeerId,
    },
    /// Dialing an address failed at once.
    #[error("cannot dial {addr}: {reason}")]
    Dial {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
    /// A request or response breaks a wire bound.
    #[error("wire: {0}")]
    Wire(#[from] WireError),
    /// The requester is gone (disconnected or timed out) before the answer was sent.
    #[error("the answer could not be sent: the requester is gone")]
    ReplyFailed,
}

/// Where to send the answer to an inbound request; hand it back with
/// [`NetHandle::respond`]. Dropping it unanswered makes the requester time out.
pub struct Reply {
    channel: request_response::ResponseChannel<Response>,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply")
    }
}

/// What the network tells the node.
#[derive(Debug)]
pub enum NetEvent {
    /// A gossiped message waiting for the node's [`Verdict`]
    /// ([`NetHandle::report_validation`] with `msg_id` and `peer`); it is not forwarded
    /// before that.
    Gossip {
        /// The peer it came from (not necessarily its author).
        peer: PeerId,
        /// The topic.
        topic: Topic,
        /// SHA-256 of `data`.
        msg_id: MessageId,
        /// The message, at most `topic.max_bytes()`.
        data: Vec<u8>,
    },
    /// A peer asks something; answer with [`NetHandle::respond`].
    Request {
        /// Who asks.
        peer: PeerId,
        /// The decoded, bounds-checked request.
        request: Request,
        /// Where the answer goes.
        reply: Reply,
    },
    /// The first connection to a peer is up.
    PeerConnected(PeerId),
    /// The last connection to a peer is closed.
    PeerDisconnected(PeerId),
    /// A peer reached the ban threshold: disconnected and refused until the ban ends.
    PeerBanned(PeerId),
    /// A new local listen address.
    Listening(Multiaddr),
}

enum Command {
    Publish {
        topic: Topic,
        data: Vec<u8>,
        reply: oneshot::Sender<Result<MessageId, NetError>>,
    },
    Validate {
        msg_id: MessageId,
        peer: PeerId,
        verdict: Verdict,
    },
    Request {
        peer: PeerId,
        request: Request,
        reply: oneshot::Sender<Result<Response, NetError>>,
    },
    Respond {
        reply: Reply,
        response: Response,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Peers(oneshot::Sender<Vec<PeerId>>),
    MeshPeers(Topic, oneshot::Sender<Vec<PeerId>>),
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    Report {
        peer: PeerId,
        misbehaviour: Misbehaviour,
    },
    Score(PeerId, oneshot::Sender<(i32, bool)>),
    Block {
        peer: PeerId,
        block: bool,
    },
    Shutdown,
}

/// The node's side of the network. Cheap to clone; every clone drives the same task.
#[derive(Clone)]
pub struct NetHandle {
    local: PeerId,
    commands: mpsc::Sender<Command>,
    request_timeout: Duration,
}

/// The peer id a node with this ed25519 public key has on the network.
pub fn peer_id_of(key: &handoff_core::types::PublicKey) -> Option<PeerId> {
    let pk = libp2p::identity::ed25519::PublicKey::try_from_bytes(&key.0).ok()?;
    Some(libp2p::identity::PublicKey::from(pk).to_peer_id())
}

impl NetHandle {
    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| NetError::Closed)?;
        rx.await.map_err(|_| NetError::Closed)
    }

    async fn tell(&self, c: Command) -> Result<(), NetError> {
        self.commands.send(c).await.map_err(|_| NetError::Closed)
    }

    /// Publishes a message on a topic; returns its id (SHA-256 of `data`).
    pub async fn publish(&self, topic: Topic, data: Vec<u8>) -> Result<MessageId, NetError> {
        if data.len() > topic.max_bytes() {
            return Err(NetError::TooLarge {
                topic: topic.name(),
                len: data.len(),
                max: topic.max_bytes(),
            });
        }
        self.ask(|reply| Command::Publish { topic, data, reply })
            .await?
    }

    /// The node's verdict on a gossiped message ([`NetEvent::Gossip`]).
    pub async fn report_validation(
        &self,
        msg_id: MessageId,
        peer: PeerId,
        verdict: Verdict,
    ) -> Result<(), NetError> {
        self.tell(Command::Validate {
            msg_id,
            peer,
            verdict,
        })
        .await
    }

    /// Asks a peer and waits for its answer (at most the configured request timeout).
    /// A peer whose answer does not decode or never comes is scored down.
    pub async fn request(&self, peer: PeerId, request: Request) -> Result<Response, NetError> {
        request.encode()?;
        let (tx, rx) = oneshot::channel();
        self.tell(Command::Request {
            peer,
            request,
            reply: tx,
        })
        .await?;
        // libp2p times the request out itself; this bound only guards against a lost reply.
        match tokio::time::timeout(self.request_timeout + Duration::from_secs(5), rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(NetError::Closed),
            Err(_) => Err(NetError::Timeout { peer }),
        }
    }

    /// Answers an inbound request ([`NetEvent::Request`]). A response over
    /// [`MAX_RESPONSE_BYTES`] is not sent; the peer gets an `Unavailable` error instead
    /// and this returns the wire error.
    pub async fn respond(&self, reply: Reply, response: Response) -> Result<(), NetError> {
        let len = response.encoded_len();
        if len > MAX_RESPONSE_BYTES {
            let fallback = Response::error(ErrorCode::Unavailable, "the answer is too large");
            self.tell(Command::Respond {
                reply,
                response: fallback,
            })
            .await?;
            return Err(NetError::Wire(WireError::TooLarge {
                what: "response",
                len: len as u64,
                max: MAX_RESPONSE_BYTES as u64,
            }));
        }
        self.tell(Command::Respond { reply, response }).await
    }

    /// Dials an address (with or without a `/p2p/<peer id>` suffix).
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.ask(|reply| Command::Dial { addr, reply }).await?
    }

    /// Peers with at least one established connection.
    pub async fn peers(&self) -> Result<Vec<PeerId>, NetError> {
        self.ask(Command::Peers).await
    }

    /// Peers in this node's gossip mesh for a topic (whom it forwards to).
    pub async fn mesh_peers(&self, topic: Topic) -> Result<Vec<PeerId>, NetError> {
        self.ask(|r| Command::MeshPeers(topic, r)).await
    }

    /// The addresses this node listens on now.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.ask(Command::ListenAddrs).await
    }

    /// Reports a peer's misbehaviour (the node judged its block, transaction or message
    /// invalid). At the ban threshold the peer is disconnected and refused for a while.
    pub async fn report(&self, peer: PeerId, misbehaviour: Misbehaviour) -> Result<(), NetError> {
        self.tell(Command::Report { peer, misbehaviour }).await
    }

    /// A peer's misbehaviour score (0 is clean, lower is worse) and whether it is banned.
    pub async fn score(&self, peer: PeerId) -> Result<(i32, bool), NetError> {
        self.ask(|r| Command::Score(peer, r)).await
    }

    /// Blocks a peer by the operator's decision (`block = true`): its connections close
    /// and it is refused until unblocked (unlike a score ban, which ends by itself).
    pub async fn set_blocked(&self, peer: PeerId, block: bool) -> Result<(), NetError> {
        self.tell(Command::Block { peer, block }).await
    }

    /// Stops the network: every connection closes and pending requests fail.
    pub async fn shutdown(&self) -> Result<(), NetError> {
        self.tell(Command::Shutdown).await
    }
}

#[derive(NetworkBehaviour)]
struct Behaviour {
    blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    limits: connection_limits::Behaviour,
    identify: identify::Behaviour,
    ping: ping::Behaviour,
    gossip: gossipsub::Behaviour,
    requests: request_response::Behaviour<WireCodec>,
    mdns: Toggle<mdns::tokio::Behaviour>,
}

fn gossip_config(heartbeat: Duration) -> Result<gossipsub::Config, NetError> {
    let mut b = gossipsub::ConfigBuilder::default();
    b.validation_mode(gossipsub::ValidationMode::Strict)
        .validate_messages()
        .message_id_fn(|m: &gossipsub::Message| {
            MessageId::new(&handoff_core::types::sha256(&[&m.data]).0)
        })
        .max_transmit_size(MAX_GOSSIP_TRANSMIT_BYTES)
        .heartbeat_interval(heartbeat);
    for t in Topic::ALL {
        b.max_transmit_size_for_topic(t.max_bytes(), t.ident().hash());
    }
    b.build()
        .map_err(|e| NetError::Setup(format!("gossipsub: {e}")))
}

fn gossip_scoring() -> (gossipsub::PeerScoreParams, gossipsub::PeerScoreThresholds) {
    let mut params = gossipsub::PeerScoreParams {
        // Our misbehaviour score is fed in as the application-specific score.
        app_specific_weight: 1.0,
        ..Default::default()
    };
    for t in Topic::ALL {
        let topic = gossipsub::TopicScoreParams {
            topic_weight: 1.0,
            // A quiet ledger is normal: no penalty for few deliveries in the mesh.
            mesh_message_deliveries_weight: 0.0,
            mesh_failure_penalty_weight: 0.0,
            // Messages the node rejected weigh heavily (squared counter).
            invalid_message_deliveries_weight: -10.0,
            invalid_message_deliveries_decay: 0.5,
            ..Default::default()
        };
        params.topics.insert(t.ident().hash(), topic);
    }
    (params, gossipsub::PeerScoreThresholds::default())
}

enum BootState {
    Idle,
    Dialing(ConnectionId),
    Connected(PeerId),
}

struct Bootstrap {
    addr: Multiaddr,
    state: BootState,
    backoff: Duration,
    next: Instant,
}

struct Driver {
    swarm: Swarm<Behaviour>,
    events: mpsc::Sender<NetEvent>,
    scores: PeerScores<PeerId>,
    rates: RateLimit<PeerId>,
    bootstrap: Vec<Bootstrap>,
    pending: HashMap<OutboundRequestId, (PeerId, oneshot::Sender<Result<Response, NetError>>)>,
    /// Peers the operator blocked: a score ban ending does not unblock them.
    operator_blocked: std::collections::HashSet<PeerId>,
}

/// Starts the network.
pub struct Network;

impl Network {
    /// Builds the swarm, starts listening and dialing the bootstrap peers, and spawns the
    /// task that runs it on the current tokio runtime. Returns once every listen address
    /// is bound (or after a few seconds).
    pub async fn start(
        config: NetConfig,
    ) -> Result<(NetHandle, mpsc::Receiver<NetEvent>), NetError> {
        let id_key = libp2p::identity::Keypair::ed25519_from_bytes(config.key.secret())
            .map_err(|e| NetError::Setup(format!("node key: {e}")))?;
        let local = id_key.public().to_peer_id();
        let gossip_cfg = gossip_config(config.gossip_heartbeat)?;
        let (score_params, thresholds) = gossip_scoring();
        let limits = config.limits.clone();
        let request_timeout = config.request_timeout;
        let mdns_on = config.mdns;

        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(id_key)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| NetError::Setup(format!("tcp: {e}")))?
            .with_quic()
            .with_behaviour(
                |key| -> Result<Behaviour, Box<dyn std::error::Error + Send + Sync>> {
                    let mut gossip = gossipsub::Behaviour::new(
                        gossipsub::MessageAuthenticity::Signed(key.clone()),
                        gossip_cfg,
                    )?;
                    gossip.with_peer_score(score_params, thresholds)?;
                    let mdns = if mdns_on {
                        Some(mdns::tokio::Behaviour::new(
                            mdns::Config::default(),
                            key.public().to_peer_id(),
                        )?)
                    } else {
                        None
                    };
                    Ok(Behaviour {
                        blocked: Default::default(),
                        limits: connection_limits::Behaviour::new(
                            connection_limits::ConnectionLimits::default()
                                .with_max_established(Some(limits.max_established))
                                .with_max_established_per_peer(Some(
                                    limits.max_established_per_peer,
                                ))
                                .with_max_pending_incoming(Some(limits.max_pending_incoming))
                                .with_max_pending_outgoing(Some(limits.max_pending_outgoing)),
                        ),
                        identify: identify::Behaviour::new(identify::Config::new(
                            IDENTIFY_PROTOCOL.to_string(),
                            key.public(),
                        )),
                        ping: ping::Behaviour::default(),
                        gossip,
                        requests: request_response::Behaviour::with_codec(
                            WireCodec,
                            [(REQUEST_PROTOCOL, ProtocolSupport::Full)],
                            request_response::Config::default()
                                .with_request_timeout(request_timeout)
                                .with_max_concurrent_streams(MAX_CONCURRENT_STREAMS),
                        ),
                        mdns: Toggle::from(mdns),
                    })
                },
            )
            .map_err(|e| NetError::Setup(format!("behaviour: {e}")))?
            .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_timeout))
            .build();

        for t in Topic::ALL {
            swarm
                .behaviour_mut()
                .gossip
                .subscribe(&t.ident())
                .map_err(|e| NetError::Setup(format!("subscribe {}: {e}", t.name())))?;
        }
        for addr in &config.listen {
            swarm
                .listen_on(addr.clone())
                .map_err(|e| NetError::Listen {
                    addr: addr.clone(),
                    reason: e.to_string(),
                })?;
        }
        let now = Instant::now();
        let bootstrap = config
            .bootstrap
            .iter()
            .map(|addr| Bootstrap {
                addr: addr.clone(),
                state: BootState::Idle,
                backoff: BOOTSTRAP_BACKOFF_MIN,
                next: now,
            })
            .collect();

        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
        let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
        let driver = Driver {
            swarm,
            events: events_tx,
            scores: PeerScores::new(config.score.clone()),
            rates: RateLimit::new(MAX_REQUESTS_PER_PEER_PER_SEC),
            bootstrap,
            pending: HashMap::new(),
            operator_blocked: Default::default(),
        };
        tokio::spawn(driver.run(cmd_rx));
        let handle = NetHandle {
            local,
            commands: cmd_tx,
            request_timeout,
        };
        // Wait until the listeners have their addresses, so callers can hand them out.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if handle.listen_addrs().await?.len() >= config.listen.len() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok((handle, events_rx))
    }
}

impl Driver {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm(event),
                command = commands.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(c) => self.on_command(c),
                },
                _ = tick.tick() => self.on_tick(),
            }
        }
        for (_, (_, tx)) in self.pending.drain() {
            let _ = tx.send(Err(NetError::Closed));
        }
    }

    fn emit(&self, e: NetEvent) {
        // A full queue means the node is behind; what is dropped here is either gossip
        // (handled by the caller) or informational.
        let _ = self.events.try_send(e);
    }

    fn report(&mut self, peer: PeerId, m: Misbehaviour) {
        let now = Instant::now();
        match self.scores.report(peer, m, now) {
            ScoreVerdict::Keep(score) => {
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .set_application_score(&peer, f64::from(score));
            }
            ScoreVerdict::Ban => {
                // Closes every connection to the peer and refuses new ones.
                if self.swarm.behaviour_mut().blocked.block_peer(peer) {
                    self.emit(NetEvent::PeerBanned(peer));
                }
            }
        }
    }

    fn on_tick(&mut self) {
        let now = Instant::now();
        for peer in self.scores.expired(now) {
            if !self.operator_blocked.contains(&peer) {
                self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            }
        }
        // gossipsub's application score follows ours as it recovers.
        for (peer, score) in self.scores.current(now) {
            self.swarm
                .behaviour_mut()
                .gossip
                .set_application_score(&peer, f64::from(score));
        }
        self.scores.prune(now);
        self.rates.prune(now);
        for i in 0..self.bootstrap.len() {
            let b = &self.bootstrap[i];
            let due = match b.state {
                BootState::Dialing(_) => false,
                BootState::Connected(p) => !self.swarm.is_connected(&p) && now >= b.next,
                BootState::Idle => now >= b.next,
            };
            if !due {
                continue;
            }
            let opts: DialOpts = b.addr.clone().into();
            let id = opts.connection_id();
            let b = &mut self.bootstrap[i];
            b.next = now + b.backoff;
            b.backoff = (b.backoff * 2).min(BOOTSTRAP_BACKOFF_MAX);
            b.state = match self.swarm.dial(opts) {
                Ok(()) => BootState::Dialing(id),
                Err(_) => BootState::Idle,
            };
        }
    }

    fn on_command(&mut self, c: Command) {
        match c {
            Command::Publish { topic, data, reply } => {
                let r = self
                    .swarm
                    .behaviour_mut()
                    .gossip
                    .publish(topic.ident(), data)
                    .map_err(|e| NetError::Publish(e.to_string()));
                let _ = reply.send(r);
            }
            Command::Validate {
                msg_id,
                peer,
                verdict,
            } => {
                let acceptance = match verdict {
                    Verdict::Accept => MessageAcceptance::Accept,
                    Verdict::Reject => MessageAcceptance::Reject,
                    Verdict::Ignore => MessageAcceptance::Ignore,
                };
                self.swarm
                    .behaviour_mut()
                    .gossip
                    .report_message_validation_result(&msg_id, &peer, acceptance);
            }
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let id = self
                    .swarm
                    .behaviour_mut()
                    .requests
                    .send_request(&peer, RequestFrame::Request(request));
                self.pending.insert(id, (peer, reply));
            }
            Command::Respond { reply, response } => {
                // Fails only when the requester is gone; nothing to do then.
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .requests
                    .send_response(reply.channel, response);
            }
            Command::Dial { addr, reply } => {
                let r = self.swarm.dial(addr.clone()).map_err(|e| NetError::Dial {
                    addr,
                    reason: e.to_string(),
                });
                let _ = reply.send(r);
            }
            Command::Peers(reply) => {
                let _ = reply.send(self.swarm.connected_peers().copied().collect());
            }
            Command::MeshPeers(topic, reply) => {
                let hash = topic.ident().hash();
                let peers = self
                    .swarm
                    .behaviour()
                    .gossip
                    .mesh_peers(&hash)
                    .copied()
                    .collect();
                let _ = reply.send(peers);
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Report { peer, misbehaviour } => self.report(peer, misbehaviour),
            Command::Score(peer, reply) => {
                let now = Instant::now();
                let _ = reply.send((
                    self.scores.score(&peer, now),
                    self.scores.is_banned(&peer, now),
                ));
            }
            Command::Block { peer, block } => {
                if block {
                    self.operator_blocked.insert(peer);
                    self.swarm.behaviour_mut().blocked.block_peer(peer);
                } else {
                    self.operator_blocked.remove(&peer);
                    if !self.scores.is_banned(&peer, Instant::now()) {
                        self.swarm.behaviour_mut().blocked.unblock_peer(peer);
                    }
                }
            }
            Command::Shutdown => {}
        }
    }

    fn on_swarm(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => self.emit(NetEvent::Listening(address)),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                num_established,
                ..
            } => {
                for b in &mut self.bootstrap {
                    if matches!(b.state, BootState::Dialing(id) if id == connection_id) {
                        b.state = BootState::Connected(peer_id);
                        b.backoff = BOOTSTRAP_BACKOFF_MIN;
                    }
                }
                if num_established.get() == 1 {
                    self.emit(NetEvent::PeerConnected(peer_id));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                let now = Instant::now();
                for b in &mut self.bootstrap {
                    if matches!(b.state, BootState::Connected(p) if p == peer_id) {
                        b.next = b.next.max(now + b.backoff);
                    }
                }
                self.emit(NetEvent::PeerDisconnected(peer_id));
            }
            SwarmEvent::OutgoingConnectionError { connection_id, .. } => {
                for b in &mut self.bootstrap {
                    if matches!(b.state, BootState::Dialing(id) if id == connection_id) {
                        b.state = BootState::Idle;
                    }
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(e)) => self.on_gossip(e),
            SwarmEvent::Behaviour(BehaviourEvent::Requests(e)) => self.on_request(e),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    if peer == *self.swarm.local_peer_id()
                        || self.scores.is_banned(&peer, Instant::now())
                    {
                        continue;
                    }
                    let opts = DialOpts::peer_id(peer)
                        .addresses(vec![addr])
                        .condition(PeerCondition::DisconnectedAndNotDialing)
                        .build();
                    let _ = self.swarm.dial(opts);
                }
            }
            _ => {}
        }
    }

    fn on_gossip(&mut self, e: gossipsub::Event) {
        let gossipsub::Event::Message {
            propagation_source: peer,
            message_id,
            message,
        } = e
        else {
            return;
        };
        let gossip = &mut self.swarm.behaviour_mut().gossip;
        let Some(topic) = Topic::from_hash(&message.topic) else {
            gossip.report_message_validation_result(&message_id, &peer, MessageAcceptance::Reject);
            return;
        };
        if message.data.len() > topic.max_bytes() {
            gossip.report_message_validation_result(&message_id, &peer, MessageAcceptance::Reject);
            self.report(peer, Misbehaviour::Oversized);
            return;
        }
        let event = NetEvent::Gossip {
            peer,
            topic,
            msg_id: message_id.clone(),
            data: message.data,
        };
        if self.events.try_send(event).is_err() {
            // The node is behind (or gone): do not forward what it cannot judge.
            self.swarm
                .behaviour_mut()
                .gossip
                .report_message_validation_result(&message_id, &peer, MessageAcceptance::Ignore);
        }
    }

    fn on_request(&mut self, e: request_response::Event<RequestFrame, Response>) {
        use request_response::{Event, Message};
        match e {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request: RequestFrame::Refused(e),
                        channel,
                        ..
                    },
                ..
            } => {
                self.report(
                    peer,
                    if e.is_oversized() {
                        Misbehaviour::Oversized
                    } else {
                        Misbehaviour::Garbage
                    },
                );
                let answer = Response::error(ErrorCode::BadRequest, e.to_string());
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .requests
                    .send_response(channel, answer);
            }
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request: RequestFrame::Request(request),
                        channel,
                        ..
                    },
                ..
            } => {
                let over = self.rates.over(peer, Instant::now());
                if over > 0 {
                    // Scored once per window; the rest are only refused.
                    if over == 1 {
                        self.report(peer, Misbehaviour::Flooding);
                    }
                    let busy = Response::error(ErrorCode::Busy, "too many requests");
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .requests
                        .send_response(channel, busy);
                    return;
                }
                let event = NetEvent::Request {
                    peer,
                    request,
                    reply: Reply { channel },
                };
                if let Err(
                    mpsc::error::TrySendError::Full(NetEvent::Request { reply, .. })
                    | mpsc::error::TrySendError::Closed(NetEvent::Request { reply, .. }),
                ) = self.events.try_send(event)
                {
                    let busy = Response::error(ErrorCode::Busy, "the node is busy");
                    let _ = self
                        .swarm
                        .behaviour_mut()
                        .requests
                        .send_response(reply.channel, busy);
                }
            }
            Event::Message {
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some((_, tx)) = self.pending.remove(&request_id) {
                    let _ = tx.send(Ok(response));
                }
            }
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                let misbehaviour = match &error {
                    OutboundFailure::Timeout => Some(Misbehaviour::Unanswered),
                    // A stream closed before the answer is a non-answer, not garbage.
                    OutboundFailure::Io(io) => io_misbehaviour(io, Misbehaviour::Unanswered),
                    _ => None,
                };
                if let Some(m) = misbehaviour {
                    self.report(peer, m);
                }
                if let Some((_, tx)) = self.pending.remove(&request_id) {
                    let e = match error {
                        OutboundFailure::Timeout => NetError::Timeout { peer },
                        other => NetError::Request {
                            peer,
                            reason: other.to_string(),
                        },
                    };
                    let _ = tx.send(Err(e));
                }
            }
            // Inbound read failures arrive as `RequestFrame::Refused` above; what fails
            // later (writing our answer, timeouts) is not the peer's fault.
            _ => {}
        }
    }
}

/// Which misbehaviour a failed answer is: refused by our decoder, or cut short.
fn io_misbehaviour(e: &std::io::Error, cut_short: Misbehaviour) -> Option<Misbehaviour> {
    match wire_error(e) {
        Some(w) if w.is_oversized() => Some(Misbehaviour::Oversized),
        Some(_) => Some(Misbehaviour::Garbage),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => Some(cut_short),
        None => None,
    }
}
