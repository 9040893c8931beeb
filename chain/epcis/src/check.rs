//! The checks every decoded event passes, whatever its format: times and offsets, the
//! fields its type requires and allows, list lengths.

use crate::error::{EpcisError, ErrorCode, err};
use crate::limits::*;
use crate::model::*;
use crate::time::{check_offset, parse_time_ms};

pub(crate) fn event(e: &Event) -> Result<(), EpcisError> {
    parse_time_ms(&e.event_time)?;
    check_offset(&e.event_time_zone_offset)?;
    if let Some(t) = &e.record_time {
        parse_time_ms(t)?;
    }
    if let Some(d) = &e.error_declaration {
        parse_time_ms(&d.declaration_time)?;
    }
    use EventType::*;
    let t = e.event_type;
    let name = t.as_str();
    if t == TransformationEvent {
        if e.action.is_some() {
            return err(ErrorCode::BadField, "a TransformationEvent has no action");
        }
    } else if e.action.is_none() {
        return err(ErrorCode::MissingField, format!("the {name} has no action"));
    }
    let allowed = |ok: bool, field: &str| -> Result<(), EpcisError> {
        if ok {
            Ok(())
        } else {
            err(ErrorCode::BadField, format!("a {name} has no {field}"))
        }
    };
    let has_parent = matches!(t, AggregationEvent | TransactionEvent | AssociationEvent);
    allowed(has_parent || e.parent_id.is_none(), "parentID")?;
    allowed(
        matches!(t, ObjectEvent | TransactionEvent)
            || (e.epc_list.is_empty() && e.quantity_list.is_empty()),
        "epcList or quantityList",
    )?;
    allowed(
        matches!(t, AggregationEvent | AssociationEvent)
            || (e.child_epcs.is_empty() && e.child_quantity_list.is_empty()),
        "childEPCs or childQuantityList",
    )?;
    allowed(
        t == TransformationEvent
            || (e.input_epc_list.is_empty()
                && e.output_epc_list.is_empty()
                && e.input_quantity_list.is_empty()
                && e.output_quantity_list.is_empty()
                && e.transformation_id.is_none()),
        "inputs, outputs or transformationID",
    )?;
    allowed(
        matches!(t, ObjectEvent | TransformationEvent) || e.ilmd.is_none(),
        "ilmd",
    )?;
    for (what, n) in [
        ("epcList", e.epc_list.len()),
        ("childEPCs", e.child_epcs.len()),
        ("inputEPCList", e.input_epc_list.len()),
        ("outputEPCList", e.output_epc_list.len()),
        ("quantityList", e.quantity_list.len()),
        ("childQuantityList", e.child_quantity_list.len()),
        ("inputQuantityList", e.input_quantity_list.len()),
        ("outputQuantityList", e.output_quantity_list.len()),
        ("bizTransactionList", e.biz_transaction_list.len()),
        ("sourceList", e.source_list.len()),
        ("destinationList", e.destination_list.len()),
        ("sensorElementList", e.sensor_element_list.len()),
        ("certificationInfo", e.certification_info.len()),
    ] {
        if n > MAX_LIST_LEN {
            return err(
                ErrorCode::TooLarge,
                format!("{what} has {n} entries (at most {MAX_LIST_LEN})"),
            );
        }
    }
    for q in e
        .quantity_list
        .iter()
        .chain(&e.child_quantity_list)
        .chain(&e.input_quantity_list)
        .chain(&e.output_quantity_list)
    {
        if let Some(n) = &q.quantity
            && !is_decimal(n)
        {
            return err(
                ErrorCode::BadValue,
                format!("quantity '{n}' is not a decimal number"),
            );
        }
    }
    Ok(())
}

/// A decimal number as XML Schema and JSON write it (`12`, `-0.5`, `1.5E3`).
pub(crate) fn is_decimal(s: &str) -> bool {
    let b = s.trim().as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let mut digits = i - start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let s2 = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        digits += i - s2;
    }
    if digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s3 = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == s3 {
            return false;
        }
    }
    i == b.len()
}
