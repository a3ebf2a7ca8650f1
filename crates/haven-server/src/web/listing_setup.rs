//! A listing's photos and shipping methods, each on a page of its own with
//! one small form per change: add photos, make one the main photo, remove
//! one; add or replace a rate, remove a rate. Every change goes through
//! `App::edit_listing`, so the limits and the listing checks apply as they
//! do for a new listing.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use haven_domain::catalog::{
    Listing, ListingEdit, MAX_IMAGES_PER_LISTING, REST_OF_WORLD, ShippingMethod, ShippingRate,
};
use haven_domain::money::Money;
use serde::Deserialize;

use super::csrf::redirect_with_flash;
use super::listings::own_listing;
use super::{AppState, Layout, Member, WebError, WebResult, filters, parse_form, render};
use crate::api::extract::{Path, RawBody};
use crate::error::ApiError;
use haven_app::{Actor, App, AppError};

/// A refusal: about the whole form, or about one field (shown next to it).
#[derive(Default)]
struct Refusal {
    error: Option<String>,
    field: Option<(String, String)>,
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        match e.details.field.clone() {
            Some(field) => Refusal {
                error: None,
                field: Some((field, e.message)),
            },
            None => Refusal {
                error: Some(e.message),
                field: None,
            },
        }
    }
}

impl Refusal {
    fn for_field(&self, name: &str) -> Option<&str> {
        self.field
            .as_ref()
            .filter(|(f, _)| f == name)
            .map(|(_, m)| m.as_str())
    }

    /// A refusal about a field this page has no input for reads as general.
    fn general(&self, fields: &[&str]) -> Option<String> {
        self.error.clone().or_else(|| {
            self.field
                .as_ref()
                .filter(|(f, _)| !fields.contains(&f.as_str()))
                .map(|(_, m)| m.clone())
        })
    }
}

#[derive(Template)]
#[template(path = "listing_photos.html")]
struct PhotosPage {
    layout: Layout,
    id: String,
    title: String,
    photos: Vec<String>,
    max: usize,
    error: Option<String>,
    /// Why the photos chosen were not added, beside the file field.
    photo_error: Option<String>,
}

/// The photos page again, refused: a 4xx, the reason beside the file
/// field when it is about the upload.
fn refused_photos(app: &App, actor: &Actor, listing: &Listing, refusal: Refusal) -> WebResult {
    let page = photos_page(app, actor, listing, refusal)?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// A refusal of the photos chosen for upload.
fn upload_refusal(message: impl Into<String>) -> Refusal {
    Refusal {
        error: None,
        field: Some(("photo".into(), message.into())),
    }
}

fn photos_page(app: &App, actor: &Actor, listing: &Listing, refusal: Refusal) -> WebResult {
    Ok(render(&PhotosPage {
        layout: Layout::new(app, Some(actor), format!("Photos of {}", listing.title)),
        id: listing.id.to_string(),
        title: listing.title.clone(),
        photos: listing
            .images
            .iter()
            .map(|h| format!("/media/{h}"))
            .collect(),
        max: MAX_IMAGES_PER_LISTING,
        error: refusal.general(&["photo"]),
        photo_error: refusal.for_field("photo").map(str::to_string),
    }))
}

pub async fn photos(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let listing = own_listing(&app, &actor, &id).await?;
    photos_page(&app, &actor, &listing, Refusal::default())
}

/// Saves an edit and comes back to `page` with a message, or shows the
/// page again with the refusal when the seller can correct it.
async fn save(
    app: &App,
    actor: &Actor,
    listing: &Listing,
    edit: ListingEdit,
    page: &str,
    said: &str,
    again: impl FnOnce(Refusal) -> WebResult,
) -> WebResult {
    match app.edit_listing(actor, listing.id, edit).await {
        Ok(saved) => {
            let message = if saved.is_held() && !listing.is_held() {
                format!(
                    "{said} Haven's listing checks hold the listing for an agent to look at; your listings say why."
                )
            } else {
                said.to_string()
            };
            let to = format!("/seller/listings/{}/{page}", listing.id);
            Ok(redirect_with_flash(app, &to, &message).into_response())
        }
        Err(err) if err.kind.is_correctable() => again(Refusal::from(err)),
        Err(err) => Err(err.into()),
    }
}

/// New photos from the page's upload form, added after the current ones.
pub async fn add_photos(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    mut multipart: axum::extract::Multipart,
) -> WebResult {
    let listing = own_listing(&app, &actor, &id).await?;
    let mut images = listing.images.clone();
    let mut added = 0;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("invalid upload: {e}")))?
    {
        if field.name() != Some("photo") || field.file_name().is_none() {
            continue;
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("invalid upload: {e}")))?;
        // A file input left empty still sends one empty part.
        if bytes.is_empty() {
            continue;
        }
        if images.len() >= MAX_IMAGES_PER_LISTING {
            let refusal = upload_refusal(format!(
                "A listing has at most {MAX_IMAGES_PER_LISTING} photos: nothing was added. Remove one first."
            ));
            return refused_photos(&app, &actor, &listing, refusal);
        }
        match app.upload_image(bytes.to_vec()).await {
            Ok(hash) => images.push(hash),
            Err(err) if err.kind.is_correctable() => {
                return refused_photos(&app, &actor, &listing, upload_refusal(err.message));
            }
            Err(err) => return Err(err.into()),
        }
        added += 1;
    }
    if added == 0 {
        let refusal = upload_refusal("Choose at least one photo to add.");
        return refused_photos(&app, &actor, &listing, refusal);
    }
    let edit = ListingEdit {
        images: Some(images),
        ..ListingEdit::default()
    };
    let said = if added == 1 {
        "Photo added.".to_string()
    } else {
        format!("{added} photos added.")
    };
    save(&app, &actor, &listing, edit, "photos", &said, |r| {
        refused_photos(&app, &actor, &listing, r)
    })
    .await
}

#[derive(Deserialize)]
pub struct PhotoForm {
    /// `main` or `remove`.
    action: String,
    /// The photo's place in the list, from 0.
    index: usize,
}

/// Makes a photo the main one, or removes it; the last photo stays.
pub async fn change_photo(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: PhotoForm = parse_form(&body)?;
    let listing = own_listing(&app, &actor, &id).await?;
    let mut images = listing.images.clone();
    if form.index >= images.len() {
        return Err(WebError::Page(ApiError::not_found("photo")));
    }
    let said = match form.action.as_str() {
        "main" => {
            let photo = images.remove(form.index);
            images.insert(0, photo);
            "That photo is the main one now."
        }
        "remove" if images.len() == 1 => {
            let refusal = Refusal {
                error: Some(
                    "A listing keeps at least one photo: add another before removing this one."
                        .into(),
                ),
                field: None,
            };
            return refused_photos(&app, &actor, &listing, refusal);
        }
        "remove" => {
            images.remove(form.index);
            "Photo removed."
        }
        _ => {
            return Err(WebError::Page(ApiError::bad_request(
                "unknown photo action",
            )));
        }
    };
    let edit = ListingEdit {
        images: Some(images),
        ..ListingEdit::default()
    };
    save(&app, &actor, &listing, edit, "photos", said, |r| {
        refused_photos(&app, &actor, &listing, r)
    })
    .await
}

/// One method as the shipping page lists it.
struct MethodRow {
    name: String,
    free_over: Option<String>,
    rates: Vec<RateRow>,
}

struct RateRow {
    /// A country code, or "Rest of the world".
    to: String,
    cost: String,
    transit: String,
}

#[derive(Default, Deserialize)]
pub struct RateForm {
    method: String,
    country: String,
    cost: String,
    min_days: String,
    max_days: String,
    #[serde(default)]
    free_over: String,
}

#[derive(Template)]
#[template(path = "listing_shipping.html")]
struct ShippingPage {
    layout: Layout,
    id: String,
    title: String,
    currency: String,
    methods: Vec<MethodRow>,
    values: RateForm,
    error: Option<String>,
    refusal: Refusal,
}

impl ShippingPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.refusal.for_field(field)
    }
}

const RATE_FIELDS: [&str; 6] = [
    "method",
    "country",
    "cost",
    "min_days",
    "max_days",
    "free_over",
];

/// The shipping page again, refused (a 4xx).
fn refused_shipping(
    app: &App,
    actor: &Actor,
    listing: &Listing,
    form: RateForm,
    refusal: Refusal,
) -> WebResult {
    let page = shipping_page(app, actor, listing, form, refusal)?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn shipping_page(
    app: &App,
    actor: &Actor,
    listing: &Listing,
    values: RateForm,
    refusal: Refusal,
) -> WebResult {
    let methods = listing
        .shipping
        .iter()
        .map(|m| MethodRow {
            name: m.name.clone(),
            free_over: m.free_over.map(super::shown),
            rates: m
                .rates
                .iter()
                .map(|r| RateRow {
                    to: if r.country == REST_OF_WORLD {
                        "Rest of the world".into()
                    } else {
                        r.country.clone()
                    },
                    cost: super::shown(r.cost),
                    transit: format!("{}–{} days", r.min_transit_days, r.max_transit_days),
                })
                .collect(),
        })
        .collect();
    Ok(render(&ShippingPage {
        layout: Layout::new(app, Some(actor), format!("Shipping for {}", listing.title)),
        id: listing.id.to_string(),
        title: listing.title.clone(),
        currency: listing.price.currency.to_string(),
        methods,
        values,
        error: refusal.general(&RATE_FIELDS),
        refusal,
    }))
}

pub async fn shipping(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let listing = own_listing(&app, &actor, &id).await?;
    let values = RateForm {
        method: listing
            .shipping
            .first()
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        ..RateForm::default()
    };
    shipping_page(&app, &actor, &listing, values, Refusal::default())
}

impl RateForm {
    /// The listing's methods with this rate added, or replacing the
    /// method's rate for the same country; a new name adds a method.
    fn applied_to(&self, listing: &Listing) -> Result<Vec<ShippingMethod>, AppError> {
        let currency = listing.price.currency;
        let amount = |raw: &str, field: &str| {
            Money::parse_decimal(raw.trim(), currency)
                .map_err(|_| AppError::invalid_field(field, "write an amount, like 4.99"))
        };
        let days = |raw: &str, field: &str| {
            raw.trim()
                .parse::<u32>()
                .map_err(|_| AppError::invalid_field(field, "write a number of days, like 5"))
        };
        let name = self.method.trim();
        if name.is_empty() {
            return Err(AppError::invalid_field(
                "method",
                "name the method, like Standard",
            ));
        }
        let rate = ShippingRate {
            country: self.country.trim().to_ascii_uppercase(),
            cost: amount(&self.cost, "cost")?,
            min_transit_days: days(&self.min_days, "min_days")?,
            max_transit_days: days(&self.max_days, "max_days")?,
        };
        let free_over = match self.free_over.trim() {
            "" => None,
            raw => Some(amount(raw, "free_over")?),
        };
        let mut methods = listing.shipping.clone();
        let method = match methods.iter().position(|m| m.name == name) {
            Some(i) => &mut methods[i],
            None => {
                methods.push(ShippingMethod {
                    name: name.to_string(),
                    rates: Vec::new(),
                    free_over: None,
                });
                methods.last_mut().expect("just pushed")
            }
        };
        if free_over.is_some() {
            method.free_over = free_over;
        }
        match method.rates.iter().position(|r| r.country == rate.country) {
            Some(i) => method.rates[i] = rate,
            None => method.rates.push(rate),
        }
        Ok(methods)
    }
}

/// Adds a rate, or replaces the method's rate for that country.
pub async fn save_rate(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: RateForm = parse_form(&body)?;
    let listing = own_listing(&app, &actor, &id).await?;
    let methods = match form.applied_to(&listing) {
        Ok(methods) => methods,
        Err(err) => return refused_shipping(&app, &actor, &listing, form, Refusal::from(err)),
    };
    let edit = ListingEdit {
        shipping: Some(methods),
        ..ListingEdit::default()
    };
    let said = format!(
        "Saved: {} to {}.",
        form.method.trim(),
        form.country.trim().to_ascii_uppercase()
    );
    match app.edit_listing(&actor, listing.id, edit).await {
        Ok(_) => {
            let to = format!("/seller/listings/{}/shipping", listing.id);
            Ok(redirect_with_flash(&app, &to, &said).into_response())
        }
        Err(err) if err.kind.is_correctable() => {
            refused_shipping(&app, &actor, &listing, form, Refusal::from(err))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct RemoveRateForm {
    method: usize,
    rate: usize,
}

/// Removes one rate; a method left without rates goes too. The last way
/// to ship cannot go (the listing checks say so).
pub async fn remove_rate(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: RemoveRateForm = parse_form(&body)?;
    let listing = own_listing(&app, &actor, &id).await?;
    let mut methods = listing.shipping.clone();
    let Some(method) = methods.get_mut(form.method) else {
        return Err(WebError::Page(ApiError::not_found("shipping method")));
    };
    if form.rate >= method.rates.len() {
        return Err(WebError::Page(ApiError::not_found("shipping rate")));
    }
    let gone = method.rates.remove(form.rate);
    if method.rates.is_empty() {
        methods.remove(form.method);
    }
    let edit = ListingEdit {
        shipping: Some(methods),
        ..ListingEdit::default()
    };
    let said = format!("Removed the rate to {}.", gone.country);
    save(&app, &actor, &listing, edit, "shipping", &said, |r| {
        refused_shipping(&app, &actor, &listing, RateForm::default(), r)
    })
    .await
}
