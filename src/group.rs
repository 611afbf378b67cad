//! Group commit: many writers, one write and one sync for all who wait.
//!
//! A backfill of hundreds of feeds finishes hundreds of polls at once, and
//! each must wait until its records are synced to the JSONL file and its
//! state commit is durable before the next thing happens. One `fsync` per
//! poll makes the disk the bottleneck while the cores idle. Here a writer
//! queues its part and takes its turn; whoever gets the turn writes every
//! part queued by then in one go, and tells each writer how it went. Nobody
//! waits for a timer: the latency bound is one write, the one under way
//! when a part arrives.

use std::sync::Mutex;

use tokio::sync::oneshot;

type Waiter<T, E> = (T, oneshot::Sender<Result<(), E>>);

pub struct Group<T, E> {
    queue: Mutex<Vec<Waiter<T, E>>>,
    turn: tokio::sync::Mutex<()>,
}

impl<T, E> Default for Group<T, E> {
    fn default() -> Self {
        Group {
            queue: Mutex::new(Vec::new()),
            turn: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T: Send + 'static, E: Clone + Send + 'static> Group<T, E> {
    /// Queues `part` and waits until it is written. `write` writes a batch,
    /// in the order the parts came, on the blocking pool; every caller
    /// passes the same one, and the caller whose turn it is runs it. `None`
    /// means the write never finished (it panicked): the part is not
    /// written, as far as anyone can tell.
    pub async fn submit<F>(&self, part: T, write: F) -> Option<Result<(), E>>
    where
        F: FnOnce(&[T]) -> Result<(), E> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.lock_queue().push((part, tx));
        {
            let _turn = self.turn.lock().await;
            let batch = std::mem::take(&mut *self.lock_queue());
            // Empty when an earlier turn took this part along.
            if !batch.is_empty() {
                // The answers go from the blocking task itself, so they
                // arrive even if this caller is dropped meanwhile.
                let job = tokio::task::spawn_blocking(move || {
                    let (parts, waiters): (Vec<T>, Vec<_>) = batch.into_iter().unzip();
                    let res = write(&parts);
                    for w in waiters {
                        let _ = w.send(res.clone());
                    }
                });
                let _ = job.await;
            }
        }
        rx.await.ok()
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Waiter<T, E>>> {
        // Pushes and takes are whole; a poisoned queue is still consistent.
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parts_waiting_together_are_written_in_fewer_writes_and_all_answered() {
        let group: Arc<Group<u32, String>> = Arc::default();
        let writes = Arc::new(Mutex::new(Vec::<Vec<u32>>::new()));
        let mut tasks = Vec::new();
        for i in 0..50 {
            let (group, writes) = (group.clone(), writes.clone());
            tasks.push(tokio::spawn(async move {
                group
                    .submit(i, move |parts| {
                        // Slow enough that others queue up meanwhile.
                        std::thread::sleep(std::time::Duration::from_millis(5));
                        writes.lock().unwrap().push(parts.to_vec());
                        Ok(())
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Some(Ok(())));
        }
        let writes = writes.lock().unwrap();
        let mut all: Vec<u32> = writes.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..50).collect::<Vec<_>>(), "each part once");
        assert!(writes.len() < 50, "{} writes for 50 parts", writes.len());
    }

    #[tokio::test]
    async fn a_failed_write_fails_every_part_of_it_and_a_panic_answers_none() {
        let group: Group<u32, String> = Group::default();
        let res = group.submit(1, |_| Err("disk full".to_string())).await;
        assert_eq!(res, Some(Err("disk full".to_string())));
        let res = group.submit(2, |_| panic!("boom")).await;
        assert_eq!(res, None);
        // The group still works after both.
        assert_eq!(group.submit(3, |_| Ok(())).await, Some(Ok(())));
    }
}
