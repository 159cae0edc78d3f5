//! Images for Bedrock: `data:` URLs decoded here; http(s) URLs are fetched by the adapter beforehand (I/O is not
//! this crate's) and handed in as [`FetchedImages`].

use std::collections::HashMap;

use obs_models::openai::{ContentPart, Message, MessageContent};

use crate::Error;

/// An image ready for Bedrock: its media type and base64 bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct InlineImage {
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`.
    pub media_type: String,
    /// Base64 of the bytes.
    pub base64: String,
}

/// Images fetched from http(s) URLs, keyed by URL.
pub type FetchedImages = HashMap<String, InlineImage>;

/// Every http(s) image URL in the request's messages, in order, without duplicates.
pub fn remote_image_urls(request: &obs_models::openai::ChatCompletionRequest) -> Vec<String> {
    let mut urls: Vec<String> = Vec::new();
    for message in request.messages.iter() {
        let content = match message {
            Message::User(m) => &m.content,
            Message::Tool(m) => &m.content,
            _ => continue,
        };
        if let MessageContent::Parts(parts) = content {
            for part in parts {
                if let ContentPart::ImageUrl(image) = part
                    && !image.url.starts_with("data:")
                    && !urls.contains(&image.url)
                {
                    urls.push(image.url.clone());
                }
            }
        }
    }
    urls
}

/// Resolves an image URL: a base64 `data:` URL is decoded in place, an http(s) URL must be in `fetched`.
pub fn resolve(url: &str, fetched: &FetchedImages, param: &str) -> Result<InlineImage, Error> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (header, data) = rest
            .split_once(',')
            .ok_or_else(|| Error::invalid(param, "The image data URL is malformed (no ',' before the data)."))?;
        let media_type = header.strip_suffix(";base64").ok_or_else(|| {
            Error::invalid(param, "Image data URLs must be base64-encoded (data:<type>;base64,<data>).")
        })?;
        if !media_type.starts_with("image/") {
            return Err(Error::invalid(param, format!("'{media_type}' is not an image type.")));
        }
        return Ok(InlineImage { media_type: media_type.to_owned(), base64: data.to_owned() });
    }
    if url.starts_with("http://") || url.starts_with("https://") {
        return fetched
            .get(url)
            .cloned()
            .ok_or_else(|| Error::invalid(param, "The image at this URL could not be fetched for the Bedrock model."));
    }
    Err(Error::invalid(param, "Image URLs must be data: URLs or http(s) URLs."))
}
