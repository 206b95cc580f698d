//! An in-place sort of a few hundred bytes of wasm, for short lists. The standard library's sorts are fast but
//! large once instantiated (about 3.5 KB of the edge build for `Timestamp` alone, measured with `npm run size`).
//! A batch's events keep the standard sort: a plan folds batches of thousands, often out of order, where a
//! heapsort's extra comparisons would cost. A list already in order is seen in one pass and left as it is.
//! Not stable: use it for total orders (equal elements identical).

/// Sorts `v` so that no element is `less` than the one before it.
pub(crate) fn sort_by<T>(v: &mut [T], less: impl Fn(&T, &T) -> bool) {
    if v.windows(2).all(|w| matches!(w, [a, b] if !less(b, a))) {
        return;
    }
    for start in (0..v.len() / 2).rev() {
        sift_down(v, start, v.len(), &less);
    }
    for end in (1..v.len()).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &less);
    }
}

/// Restores the max-heap order below `root` within `v[..end]`.
fn sift_down<T>(v: &mut [T], mut root: usize, end: usize, less: &impl Fn(&T, &T) -> bool) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && matches!((v.get(child), v.get(child + 1)), (Some(a), Some(b)) if less(a, b)) {
            child += 1;
        }
        if !matches!((v.get(root), v.get(child)), (Some(a), Some(b)) if less(a, b)) {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::sort_by;

    #[test]
    fn sorts_as_the_standard_sort_does_in_order_reversed_and_shuffled_with_repeats() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for len in 0..70 {
            let shuffled: Vec<i64> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % 40) as i64 // repeats on purpose
                })
                .collect();
            let mut expected = shuffled.clone();
            expected.sort();
            let reversed: Vec<i64> = expected.iter().rev().copied().collect();
            for mut v in [shuffled, expected.clone(), reversed] {
                sort_by(&mut v, |a, b| a < b);
                assert_eq!(v, expected, "length {len}");
            }
        }
    }

    #[test]
    fn a_descending_order_is_the_comparison_turned_round() {
        let mut v = [3, 1, 4, 1, 5, 9, 2, 6];
        sort_by(&mut v, |a, b| a > b);
        assert_eq!(v, [9, 6, 5, 4, 3, 2, 1, 1]);
    }
}
