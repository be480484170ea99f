//! sea-orm entities, one file per table, in the shape `sea-orm-cli generate entity` emits.
//! Hand-written queries live beside this folder, never in it.

pub mod attachment;
pub mod authority;
pub mod campaign;
pub mod chase;
pub mod classification;
pub mod clock_event;
pub mod digest;
pub mod document;
pub mod document_page;
pub mod event;
pub mod finding;
pub mod holiday_replacement;
pub mod imap_state;
pub mod job_run;
pub mod login_attempt;
pub mod message;
pub mod message_request;
pub mod operator_holiday;
pub mod request;
pub mod request_twinning;
pub mod staff_session;
pub mod staff_user;
pub mod task;
pub mod twinning;
pub mod watch_hit;
