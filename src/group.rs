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
        let (tx, mut rx) = oneshot::channel();
        self.lock_queue().push((part, tx));
        // Whoever has the turn may take this part along: then the answer
        // comes first and this caller is done, without a turn of its own.
        // Waiting for the turn regardless held every caller whose part was
        // written until each in line had written what arrived after it: one
        // answer per write, and a backfill's polls piled up in the line.
        let turn = tokio::select! {
            biased;
            answer = &mut rx => return answer.ok(),
            turn = self.turn.lock() => turn,
        };
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
        drop(turn);
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_part_another_turn_wrote_is_answered_without_waiting_for_a_turn() {
        let group: Arc<Group<u32, String>> = Arc::default();
        // Each write of a batch holding `part` waits until `gates[part]` opens.
        let gates: Arc<Mutex<Vec<std::sync::mpsc::Receiver<()>>>> = Arc::default();
        let mut open = Vec::new();
        for _ in 0..3 {
            let (tx, rx) = std::sync::mpsc::channel();
            gates.lock().unwrap().push(rx);
            open.push(tx);
        }
        let submit = |part: u32| {
            let (group, gates) = (group.clone(), gates.clone());
            tokio::spawn(async move {
                group
                    .submit(part, move |parts| {
                        let gate = match parts {
                            p if p.contains(&1) => 0,
                            p if p.contains(&2) || p.contains(&3) => 1,
                            _ => 2,
                        };
                        let rx = std::mem::replace(
                            &mut gates.lock().unwrap()[gate],
                            std::sync::mpsc::channel().1,
                        );
                        // Bounded, so that a wrong order fails the test
                        // instead of hanging it.
                        let _ = rx.recv_timeout(std::time::Duration::from_secs(20));
                        Ok(())
                    })
                    .await
            })
        };
        let queued = |n: usize| {
            let group = group.clone();
            async move {
                for _ in 0..500 {
                    if group.lock_queue().len() == n {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                panic!("the queue never held {n} parts");
            }
        };
        let first = submit(1);
        queued(0).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        // 2 and 3 queue while 1 is being written; 2's turn writes both.
        let (second, third) = (submit(2), submit(3));
        queued(2).await;
        open[0].send(()).unwrap();
        assert_eq!(first.await.unwrap(), Some(Ok(())));
        queued(0).await;
        // 4 arrives while 2 and 3 are being written, and the next turn
        // writes it, which waits until gate 2 opens.
        let fourth = submit(4);
        queued(1).await;
        open[1].send(()).unwrap();
        assert_eq!(second.await.unwrap(), Some(Ok(())));
        let third = tokio::time::timeout(std::time::Duration::from_secs(5), third)
            .await
            .expect("3 was written with 2: its answer does not wait for 4's write");
        assert_eq!(third.unwrap(), Some(Ok(())));
        open[2].send(()).unwrap();
        assert_eq!(fourth.await.unwrap(), Some(Ok(())));
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
