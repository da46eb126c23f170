//! A guard made before rayon's global pool exists: the pool's threads are started
//! by the guard itself, and get back the mode the caller had before, not the
//! flushing one it had a moment later. (Its own binary: it must be the first
//! use of rayon in the process: `main` runs it first.)

use lenet::subnormals::{self, FlushSubnormals};

pub fn the_pool_started_by_the_guard_gets_the_callers_earlier_mode_back() {
    // SAFETY: nothing here depends on constant folding of subnormals.
    let guard = unsafe { FlushSubnormals::enable() };
    assert!(
        rayon::broadcast(|_| subnormals::flushing())
            .iter()
            .all(|&on| on)
    );
    drop(guard);
    let after = rayon::broadcast(|_| subnormals::flushing());
    assert!(
        after.iter().all(|&on| !on),
        "workers still flush: {after:?}"
    );
    assert!(!subnormals::flushing());
}
