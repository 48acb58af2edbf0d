//! Percentiles and medians: the only statistics the report uses.

/// The `p`-th percentile (0–100) of `samples` by the nearest-rank method: the smallest
/// sample such that at least `p`% of the samples are less than or equal to it. Sorts
/// `samples` in place. `None` when there are no samples.
pub fn percentile(samples: &mut [u64], p: f64) -> Option<u64> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = ((p.clamp(0.0, 100.0) / 100.0) * samples.len() as f64).ceil() as usize;
    Some(samples[rank.clamp(1, samples.len()) - 1])
}

/// The median of `values` (the mean of the two middle ones for an even count); NaN-free
/// input assumed. `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_of_one_to_a_hundred() {
        let mut s: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(percentile(&mut s, 50.0), Some(50));
        assert_eq!(percentile(&mut s, 99.0), Some(99));
        assert_eq!(percentile(&mut s, 100.0), Some(100));
        assert_eq!(percentile(&mut s, 0.0), Some(1));
    }

    #[test]
    fn a_p99_of_few_samples_is_the_largest() {
        let mut s = vec![5, 1, 9];
        assert_eq!(percentile(&mut s, 99.0), Some(9));
        assert_eq!(percentile(&mut [], 50.0), None);
    }

    #[test]
    fn the_median_of_three_runs_ignores_one_outlier() {
        assert_eq!(median(&[10.0, 1000.0, 12.0]), Some(12.0));
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}
