//! Math functions. Non-numeric arguments give null; so do NaN/infinite results.

use std::cell::Cell;

use super::conv::order;
use super::{arg, num, num_or_null, EvalValue, FnContext};
use crate::value::{Atom, Value};

type R = Result<EvalValue, String>;

fn unary(a: &[EvalValue], f: impl Fn(f64) -> f64) -> R {
    Ok(num(a, 0).map_or(EvalValue::Null, |x| num_or_null(f(x))))
}

fn binary(a: &[EvalValue], f: impl Fn(f64, f64) -> f64) -> R {
    Ok(match (num(a, 0), num(a, 1)) {
        (Some(x), Some(y)) => num_or_null(f(x, y)),
        _ => EvalValue::Null,
    })
}

pub(super) fn abs(a: &[EvalValue], _: &FnContext) -> R {
    unary(a, f64::abs)
}
pub(super) fn ceil(a: &[EvalValue], _: &FnContext) -> R {
    unary(a, f64::ceil)
}
pub(super) fn floor(a: &[EvalValue], _: &FnContext) -> R {
    unary(a, f64::floor)
}

/// `round(x[, digits])`: half away from zero (`round(2.5)` = 3, `round(-2.5)` = -3).
pub(super) fn round(a: &[EvalValue], _: &FnContext) -> R {
    let Some(x) = num(a, 0) else {
        return Ok(EvalValue::Null);
    };
    let d = if a.len() >= 2 {
        match num(a, 1) {
            Some(d) => d.trunc().clamp(-300.0, 300.0) as i32,
            None => return Ok(EvalValue::Null),
        }
    } else {
        0
    };
    let r = if d == 0 {
        x.round()
    } else {
        let p = 10f64.powi(d);
        let scaled = x * p;
        if scaled.is_finite() {
            scaled.round() / p
        } else {
            x
        }
    };
    Ok(num_or_null(r))
}

/// `log(x[, base])`: base 10 by default.
pub(super) fn log(a: &[EvalValue], _: &FnContext) -> R {
    let Some(x) = num(a, 0) else {
        return Ok(EvalValue::Null);
    };
    if a.len() >= 2 {
        return Ok(num(a, 1).map_or(EvalValue::Null, |b| num_or_null(x.log(b))));
    }
    Ok(num_or_null(x.log10()))
}
pub(super) fn ln(a: &[EvalValue], _: &FnContext) -> R {
    unary(a, f64::ln)
}
pub(super) fn exp(a: &[EvalValue], _: &FnContext) -> R {
    unary(a, f64::exp)
}
pub(super) fn pow(a: &[EvalValue], _: &FnContext) -> R {
    binary(a, f64::powf)
}
pub(super) fn sqrt(a: &[EvalValue], _: &FnContext) -> R {
    unary(a, f64::sqrt)
}
pub(super) fn pi(_: &[EvalValue], _: &FnContext) -> R {
    Ok(EvalValue::num(std::f64::consts::PI))
}

const SEED: u64 = 0x2545_F491_4F6C_DD1D;

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(SEED) };
}

/// Start this thread's `random()` sequence over: work handed to any thread gives the same values.
pub fn reseed_random() {
    RNG.with(|r| r.set(SEED));
}

/// `random()`: an integer in 0..=2^31-1. Deterministic per thread (fixed-seed xorshift), so runs
/// are reproducible.
pub(super) fn random(_: &[EvalValue], _: &FnContext) -> R {
    let v = RNG.with(|r| {
        let mut x = r.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        r.set(x);
        x
    });
    Ok(EvalValue::num((v >> 33) as f64))
}

/// `exact(x)`: the value unchanged (this engine computes in f64 throughout).
pub(super) fn exact(a: &[EvalValue], _: &FnContext) -> R {
    unary(a, |x| x)
}

/// `sigfig(x)`: Splunk derives the precision from the operands of the expression, which a
/// function receiving an evaluated value cannot see; the value is returned unchanged.
pub(super) fn sigfig(a: &[EvalValue], _: &FnContext) -> R {
    unary(a, |x| x)
}

fn all_atoms(a: &[EvalValue]) -> Vec<Atom> {
    a.iter().flat_map(|v| v.atoms()).collect()
}

/// `min(...)`/`max(...)` over every value of every argument: numbers compare numerically and
/// sort before strings, strings compare lexicographically ("strings are greater than numbers").
pub(super) fn min(a: &[EvalValue], _: &FnContext) -> R {
    Ok(all_atoms(a).into_iter().min_by(order).map_or(EvalValue::Null, |x| EvalValue::Val(Value::One(x))))
}
pub(super) fn max(a: &[EvalValue], _: &FnContext) -> R {
    Ok(all_atoms(a).into_iter().max_by(order).map_or(EvalValue::Null, |x| EvalValue::Val(Value::One(x))))
}

/// `avg(...)`: mean of the numeric values among all arguments.
pub(super) fn avg(a: &[EvalValue], _: &FnContext) -> R {
    let nums: Vec<f64> = all_atoms(a).iter().filter_map(Atom::to_num).collect();
    if nums.is_empty() {
        return Ok(EvalValue::Null);
    }
    Ok(num_or_null(nums.iter().sum::<f64>() / nums.len() as f64))
}

/// `sum(...)`: total of the numeric values among all arguments, every value of a multivalue
/// field counted; values that are missing or do not read as numbers are ignored, and no numeric
/// value at all gives null (no field), as for `avg`. After
/// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/evaluation-functions/mathematical-functions
/// (`sum(a, b, c)` with a=5.0, b="9" and c missing is 14; a field "somedata" is ignored) and
/// https://help.splunk.com/en/splunk-enterprise/spl-search-reference/9.4/evaluation-functions/statistical-eval-functions
/// (`avg(x,y)` is `sum(x,y)/(mvcount(x) + mvcount(y))`). The reference says "as an integer", but
/// its examples only add integers and `avg`, described the same way, gives fractions: the sum is
/// not truncated (`sum(1.5, 1)` is 2.5). Splunk rejects a quoted string literal argument
/// (`sum(1, 2, "3")`) when it checks the expression's types; here it is read like a field value.
pub(super) fn sum(a: &[EvalValue], _: &FnContext) -> R {
    let nums: Vec<f64> = all_atoms(a).iter().filter_map(Atom::to_num).collect();
    if nums.is_empty() {
        return Ok(EvalValue::Null);
    }
    Ok(num_or_null(nums.iter().sum()))
}

macro_rules! unary_fns {
    ($($name:ident),*) => {$(
        pub(super) fn $name(a: &[EvalValue], _: &FnContext) -> R {
            unary(a, f64::$name)
        }
    )*};
}
unary_fns!(acos, acosh, asin, asinh, atan, atanh, cos, cosh, sin, sinh, tan, tanh);

pub(super) fn atan2(a: &[EvalValue], _: &FnContext) -> R {
    binary(a, f64::atan2)
}
pub(super) fn hypot(a: &[EvalValue], _: &FnContext) -> R {
    binary(a, f64::hypot)
}

fn int_arg(v: &EvalValue) -> Option<i64> {
    let n = v.as_num()?;
    (n.fract() == 0.0 && n.abs() < 9.2e18).then_some(n as i64)
}

fn fold_bits(a: &[EvalValue], f: impl Fn(i64, i64) -> i64) -> R {
    let mut acc: Option<i64> = None;
    for v in a {
        let Some(x) = int_arg(v) else {
            return Ok(EvalValue::Null);
        };
        acc = Some(acc.map_or(x, |p| f(p, x)));
    }
    Ok(acc.map_or(EvalValue::Null, |x| EvalValue::num(x as f64)))
}

pub(super) fn bit_and(a: &[EvalValue], _: &FnContext) -> R {
    fold_bits(a, |x, y| x & y)
}
pub(super) fn bit_or(a: &[EvalValue], _: &FnContext) -> R {
    fold_bits(a, |x, y| x | y)
}
pub(super) fn bit_xor(a: &[EvalValue], _: &FnContext) -> R {
    fold_bits(a, |x, y| x ^ y)
}

/// `bit_not(x[, bits])`: complement, masked to `bits` bits when given.
pub(super) fn bit_not(a: &[EvalValue], _: &FnContext) -> R {
    let Some(x) = int_arg(arg(a, 0)) else {
        return Ok(EvalValue::Null);
    };
    let r = match a.get(1).map(int_arg) {
        None => !x,
        Some(Some(bits)) if (1..=63).contains(&bits) => !x & ((1i64 << bits) - 1),
        Some(_) => return Ok(EvalValue::Null),
    };
    Ok(EvalValue::num(r as f64))
}

pub(super) fn bit_shift_left(a: &[EvalValue], _: &FnContext) -> R {
    Ok(match (int_arg(arg(a, 0)), int_arg(arg(a, 1))) {
        (Some(x), Some(n)) if (0..64).contains(&n) => EvalValue::num(x.wrapping_shl(n as u32) as f64),
        _ => EvalValue::Null,
    })
}
pub(super) fn bit_shift_right(a: &[EvalValue], _: &FnContext) -> R {
    Ok(match (int_arg(arg(a, 0)), int_arg(arg(a, 1))) {
        (Some(x), Some(n)) if (0..64).contains(&n) => EvalValue::num((x >> n) as f64),
        _ => EvalValue::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::eval::EvalValue;
    use EvalValue::Null;

    #[test]
    fn round_half_away_from_zero() {
        assert_eq!(t("round", vec![n(2.5)]), "3");
        assert_eq!(t("round", vec![n(-2.5)]), "-3");
        assert_eq!(t("round", vec![n(1.23456), n(2.0)]), "1.23");
        assert_eq!(t("round", vec![s("1234.5678"), n(-2.0)]), "1200");
        assert_eq!(c("round", vec![s("abc")]), Null);
    }

    #[test]
    fn basic_math_and_nulls() {
        assert_eq!(t("abs", vec![s("-4")]), "4");
        assert_eq!(t("ceiling", vec![n(1.2)]), "2");
        assert_eq!(t("ceil", vec![n(-1.2)]), "-1");
        assert_eq!(t("floor", vec![n(1.8)]), "1");
        assert_eq!(t("log", vec![n(100.0)]), "2");
        assert_eq!(t("log", vec![n(8.0), n(2.0)]), "3");
        assert_eq!(t("ln", vec![n(1.0)]), "0");
        assert_eq!(t("exp", vec![n(0.0)]), "1");
        assert_eq!(t("pow", vec![n(2.0), n(10.0)]), "1024");
        assert_eq!(t("sqrt", vec![n(9.0)]), "3");
        assert_eq!(c("sqrt", vec![n(-1.0)]), Null);
        assert_eq!(c("ln", vec![n(0.0)]), Null);
        assert!(t("pi", vec![]).starts_with("3.14159"));
        assert_eq!(t("hypot", vec![n(3.0), n(4.0)]), "5");
    }

    #[test]
    fn min_max_numbers_before_strings() {
        // Splunk: max(3, "abc") is "abc" (strings are greater than numbers); min compares
        // numbers numerically, not lexically.
        assert_eq!(t("max", vec![n(3.0), s("abc"), s("10")]), "abc");
        assert_eq!(t("min", vec![n(3.0), s("abc"), s("10")]), "3");
        assert_eq!(t("max", vec![s("9"), s("10")]), "10");
        assert_eq!(t("max", vec![mv(&["1", "7", "3"])]), "7");
        assert_eq!(t("min", vec![Null, s("b"), s("a")]), "a");
        assert_eq!(c("max", vec![Null]), Null);
        assert_eq!(t("avg", vec![n(1.0), s("x"), mv(&["2", "3"])]), "2");
    }

    #[test]
    fn sum_adds_numeric_values_of_all_arguments() {
        // The reference's examples: a=5.0, b="9", c missing gives 14; sum(1, 2, 3) is 6; a field
        // "somedata" is ignored.
        assert_eq!(t("sum", vec![n(5.0), s("9"), Null]), "14");
        assert_eq!(t("sum", vec![n(1.0), n(2.0), n(3.0)]), "6");
        assert_eq!(t("sum", vec![s("somedata"), n(2.0), n(3.0)]), "5");
        assert_eq!(t("sum", vec![mv(&["1", "x", "2.5"]), n(-1.0)]), "2.5");
        assert_eq!(t("sum", vec![n(1.5), n(1.0)]), "2.5");
        assert_eq!(c("sum", vec![Null, s("abc")]), Null);
        assert_eq!(c("sum", vec![n(f64::MAX), n(f64::MAX)]), Null, "overflow is no number");
    }

    #[test]
    fn random_is_a_31_bit_integer() {
        for _ in 0..100 {
            let v: f64 = t("random", vec![]).parse().unwrap();
            assert!((0.0..2147483648.0).contains(&v) && v.fract() == 0.0);
        }
    }

    #[test]
    fn bit_functions() {
        assert_eq!(t("bit_and", vec![n(12.0), n(10.0)]), "8");
        assert_eq!(t("bit_or", vec![n(12.0), n(10.0), n(1.0)]), "15");
        assert_eq!(t("bit_xor", vec![n(12.0), n(10.0)]), "6");
        assert_eq!(t("bit_not", vec![n(5.0), n(4.0)]), "10");
        assert_eq!(t("bit_shift_left", vec![n(1.0), n(4.0)]), "16");
        assert_eq!(t("bit_shift_right", vec![n(16.0), n(2.0)]), "4");
        assert_eq!(c("bit_and", vec![n(1.5), n(1.0)]), Null);
    }
}
