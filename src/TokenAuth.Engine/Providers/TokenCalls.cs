using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using TokenAuth.Errors;
using TokenAuth.Http;

namespace TokenAuth.Providers
{
    /// <summary>
    /// Builds the calls to a provider's own token, refresh and revoke endpoints as its definition describes them: the
    /// definition's fields and headers filled in, and what the call's <see cref="IClientCredential"/> adds to each attempt.
    /// </summary>
    internal static class TokenCalls
    {
        /// <summary>Every request TokenAuth sends accepts JSON unless the caller says otherwise.</summary>
        internal static readonly MediaTypeWithQualityHeaderValue AcceptJson = new MediaTypeWithQualityHeaderValue("application/json");

        /// <summary>The call that gets a token with the credentials.</summary>
        /// <param name="grant">The grant's subject and actor tokens and a challenge's claims, for this request alone; null: none.</param>
        public static EndpointCall TokenCall(ProviderTarget target, ICredentialValues credential, string? scope, TimeSpan? lifetime, IClientCredential client,
            GrantTokens? grant = null) =>
            new EndpointCall(target, ProviderOperation.Token, target.Definition.Token, new TemplateValues(credential, scope, lifetime, grant: grant), client);

        /// <summary>The call that trades a refresh token for a new token, or null when the provider or the token has none.</summary>
        public static EndpointCall? RefreshCall(ProviderTarget target, ICredentialValues credential, string? refreshToken, IClientCredential client) =>
            refreshToken != null && target.Definition.Refresh is { } refresh
                ? new EndpointCall(target, ProviderOperation.Refresh, refresh, new TemplateValues(credential, refreshToken: refreshToken), client)
                : null;

        /// <summary>
        /// The call that revokes a token; its client credential is the token itself (a bearer revoke) or the token
        /// endpoint's, as the definition's revoke.authentication says (RFC 7009).
        /// </summary>
        public static EndpointCall RevokeCall(ProviderTarget target, RevokeSpec revoke, ICredentialValues credential, string accessToken, IClientCredential client) =>
            new EndpointCall(target, ProviderOperation.Revoke, revoke, new TemplateValues(credential, accessToken: accessToken), client);

        public static HttpRequestMessage CreateMessage(EndpointCall call)
        {
            var target = call.Target;
            var spec = call.Spec;
            var values = call.Values;
            var request = new HttpRequestMessage(HttpMethods.For(spec.Method), call.Endpoint);
            request.Headers.Accept.Add(AcceptJson);
            foreach (var header in spec.Headers)
            {
                if (FieldTemplates.Render(header.Value, values) is { } value)
                {
                    HeaderValues.AddUnparsed(request.Headers, header.Key, value.Text, target.ProviderName);
                }
            }

            // What this attempt carries to show who the client is: asked once per attempt, so a signed assertion is fresh for each.
            var proof = call.Client.ForAttempt();
            if (proof.Authorization != null)
            {
                HeaderValues.AddUnparsed(request.Headers, "Authorization", proof.Authorization, target.ProviderName);
            }

            // A challenge's claims go as the value of one field of their own, whatever they hold (OpenID Connect 5.5).
            var claims = values.Grant.Claims;
            var added = claims == null ? proof.Fields
                : (proof.Fields ?? Array.Empty<KeyValuePair<string, string>>()).Concat(new[] { new KeyValuePair<string, string>("claims", claims) }).ToList();
            if (spec.Fields.Count > 0 || added != null || !string.Equals(spec.Method, "GET", StringComparison.OrdinalIgnoreCase))
            {
                request.Content = spec.Encoding == BodyEncoding.Form ? FormBody(spec, values, added) : JsonBody(spec, values, claims);
            }

            return request;
        }

        private static HttpContent FormBody(EndpointSpec spec, TemplateValues values, IReadOnlyList<KeyValuePair<string, string>>? proof)
        {
            var pairs = proof == null ? new List<KeyValuePair<string, string>>() : new List<KeyValuePair<string, string>>(proof);
            foreach (var field in spec.Fields)
            {
                if (FieldTemplates.Render(field.Value, values) is { } value)
                {
                    pairs.Add(new KeyValuePair<string, string>(field.Key, value.Text));
                }
            }

            return new FormUrlEncodedContent(pairs);
        }

        private static HttpContent JsonBody(EndpointSpec spec, TemplateValues values, string? claims)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                foreach (var field in spec.Fields)
                {
                    if (FieldTemplates.Render(field.Value, values) is not { } value)
                    {
                        continue;
                    }

                    if (value.IsNumber)
                    {
                        writer.WriteNumber(field.Key, long.Parse(value.Text, CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        writer.WriteString(field.Key, value.Text);
                    }
                }

                if (claims != null && !spec.Fields.ContainsKey("claims"))
                {
                    writer.WriteString("claims", claims);
                }

                writer.WriteEndObject();
            }

            var content = new ByteArrayContent(buffer.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            return content;
        }
    }
}
