//! Time functions over `crate::timefmt`, in the context's time zone.

use super::{num, text, EvalValue, FnContext};
use crate::timefmt;

type R = Result<EvalValue, String>;

/// `now()`: the search's fixed start time.
pub(super) fn now(_: &[EvalValue], ctx: &FnContext) -> R {
    Ok(EvalValue::num(ctx.now))
}

/// `time()`: Splunk returns the wall clock at evaluation; offline runs use the fixed `now` so
/// results are reproducible.
pub(super) fn time(_: &[EvalValue], ctx: &FnContext) -> R {
    Ok(EvalValue::num(ctx.now))
}

/// `relative_time(t, modifier)`: null for a non-numeric time or an invalid modifier.
pub(super) fn relative_time(a: &[EvalValue], ctx: &FnContext) -> R {
    let (Some(t), Some(spec)) = (num(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    Ok(timefmt::relative_time(t, &spec, ctx.tz.offset_seconds).map_or(EvalValue::Null, EvalValue::num))
}

/// `strftime(t, format)`.
pub(super) fn strftime(a: &[EvalValue], ctx: &FnContext) -> R {
    let (Some(t), Some(f)) = (num(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    Ok(timefmt::strftime(t, &f, ctx.tz.offset_seconds).map_or(EvalValue::Null, EvalValue::str))
}

/// `strptime(s, format)`: epoch seconds (with fraction), null when unparseable.
pub(super) fn strptime(a: &[EvalValue], ctx: &FnContext) -> R {
    let (Some(s), Some(f)) = (text(a, 0), text(a, 1)) else {
        return Ok(EvalValue::Null);
    };
    Ok(timefmt::strptime(&s, &f, ctx.tz.offset_seconds).map_or(EvalValue::Null, EvalValue::num))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use crate::eval::EvalValue;
    use EvalValue::Null;

    #[test]
    fn now_is_context_time() {
        assert_eq!(t("now", vec![]), "1700044245");
        assert_eq!(t("time", vec![]), "1700044245");
    }

    #[test]
    fn relative_time_snaps_to_day() {
        // now = 2023-11-15 10:30:45 UTC; "-1d@d" = 2023-11-14 00:00:00.
        assert_eq!(t("relative_time", vec![n(1700044245.0), s("-1d@d")]), "1699920000");
        assert_eq!(c("relative_time", vec![s("x"), s("-1d")]), Null);
        assert_eq!(c("relative_time", vec![n(0.0), s("-1zz")]), Null);
    }

    #[test]
    fn strftime_strptime_via_eval() {
        assert_eq!(t("strftime", vec![s("1700044245.5"), s("%Y-%m-%dT%H:%M:%S.%3N")]), "2023-11-15T10:30:45.500");
        assert_eq!(t("strptime", vec![s("2023-11-15 10:30:45"), s("%Y-%m-%d %H:%M:%S")]), "1700044245");
        assert_eq!(c("strptime", vec![s("nope"), s("%Y")]), Null);
        assert_eq!(c("strftime", vec![s("nope"), s("%Y")]), Null);
    }

    #[test]
    fn time_functions_use_context_zone() {
        let mut cx = ctx();
        cx.tz.offset_seconds = -5 * 3600;
        let r = super::super::call("strftime", vec![n(1700044245.0), s("%H:%M %z")], &cx).unwrap();
        assert_eq!(r.as_text().unwrap(), "05:30 -0500");
    }
}
