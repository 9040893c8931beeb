//! The block producer for many concurrent submitters (the desktop app's screens, scanners,
//! later the network): transactions wait in one queue and go into a block when it is full
//! (`MAX_BLOCK_TXS`) or when the oldest has waited `max_wait`, whichever comes first. Each
//! submitter gets its receipts once its block is durable. It implements [`Sequencer`], the
//! same seam the BFT engine will implement.

use crate::ledger::{Ledger, Receipt, Sequencer};
use anyhow::{Result, anyhow};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, bounded, unbounded};
use handoff_core::limits::MAX_BLOCK_TXS;
use handoff_core::tx::SignedTx;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

struct Job {
    txs: Vec<SignedTx>,
    reply: Sender<std::result::Result<Vec<Receipt>, String>>,
}

/// A running producer thread over a ledger.
pub struct Producer {
    queue: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Producer {
    /// Starts producing on `ledger`; a block waits at most `max_wait` for more transactions.
    pub fn start(ledger: Arc<Ledger>, max_wait: Duration) -> Producer {
        let (queue, rx) = unbounded::<Job>();
        let thread = std::thread::Builder::new()
            .name("handoff-producer".into())
            .spawn(move || run(&ledger, &rx, max_wait))
            .ok();
        Producer {
            queue: Some(queue),
            thread,
        }
    }
}

fn run(ledger: &Ledger, rx: &Receiver<Job>, max_wait: Duration) {
    while let Ok(first) = rx.recv() {
        let deadline = Instant::now() + max_wait;
        let mut count = first.txs.len();
        let mut jobs = vec![first];
        while count < MAX_BLOCK_TXS {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(job) => {
                    count += job.txs.len();
                    jobs.push(job);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        let sizes: Vec<usize> = jobs.iter().map(|j| j.txs.len()).collect();
        let (txs, replies): (Vec<Vec<SignedTx>>, Vec<_>) =
            jobs.into_iter().map(|j| (j.txs, j.reply)).unzip();
        match ledger.submit(txs.into_iter().flatten().collect()) {
            Ok(receipts) => {
                let mut it = receipts.into_iter();
                for (n, reply) in sizes.into_iter().zip(replies) {
                    // A submitter that gave up waiting is not an error for the others.
                    let _ = reply.send(Ok(it.by_ref().take(n).collect()));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(format!("{e:#}")));
                }
            }
        }
    }
}

impl Sequencer for Producer {
    fn submit(&self, txs: Vec<SignedTx>) -> Result<Vec<Receipt>> {
        let (reply, answer) = bounded(1);
        self.queue
            .as_ref()
            .ok_or_else(|| anyhow!("the block producer has stopped"))?
            .send(Job { txs, reply })
            .map_err(|_| anyhow!("the block producer has stopped"))?;
        answer
            .recv()
            .map_err(|_| anyhow!("the block producer stopped before answering"))?
            .map_err(|e| anyhow!(e))
    }
}

impl Drop for Producer {
    /// Finishes the blocks already queued, then stops.
    fn drop(&mut self) {
        self.queue.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
