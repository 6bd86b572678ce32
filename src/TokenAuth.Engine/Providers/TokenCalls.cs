using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.IO;
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
            GrantTokens? grant = null, TokenParameters? parameters = null) =>
            new EndpointCall(target, ProviderOperation.Token, target.Definition.Token,
                new TemplateValues(credential, scope, lifetime, grant: grant, parameters: parameters, provider: target.ProviderName), client);

        /// <summary>The call that trades a refresh token for a new token, or null when the provider or the token has none.</summary>
        public static EndpointCall? RefreshCall(ProviderTarget target, ICredentialValues credential, string? refreshToken, IClientCredential client,
            TokenParameters? parameters = null) =>
            refreshToken != null && target.Definition.Refresh is { } refresh
                ? new EndpointCall(target, ProviderOperation.Refresh, refresh,
                    new TemplateValues(credential, refreshToken: refreshToken, parameters: parameters, provider: target.ProviderName), client)
                : null;

        /// <summary>
        /// The call that revokes a token; its client credential is the token itself (a bearer revoke) or the token
        /// endpoint's, as the definition's revoke.authentication says (RFC 7009).
        /// </summary>
        public static EndpointCall RevokeCall(ProviderTarget target, RevokeSpec revoke, ICredentialValues credential, string accessToken, IClientCredential client,
            TokenParameters? parameters = null) =>
            new EndpointCall(target, ProviderOperation.Revoke, revoke,
                new TemplateValues(credential, accessToken: accessToken, parameters: parameters, provider: target.ProviderName), client);

        /// <summary>The call that revokes the refresh token, where the definition says how and the token has one; else null.</summary>
        public static EndpointCall? RefreshRevokeCall(ProviderTarget target, RevokeSpec revoke, ICredentialValues credential, string? refreshToken, IClientCredential client,
            TokenParameters? parameters = null) =>
            refreshToken != null && revoke.RefreshTokenFields is { } fields
                ? new EndpointCall(target, ProviderOperation.Revoke, revoke with { Fields = fields },
                    new TemplateValues(credential, refreshToken: refreshToken, parameters: parameters, provider: target.ProviderName), client)
                : null;

        public static HttpRequestMessage CreateMessage(EndpointCall call)
        {
            var target = call.Target;
            var spec = call.Spec;
            var values = call.Values;
            // The call's own parameters the definition does not place itself: resource, audience and -TokenParameter's fields.
            var added = call.Operation == ProviderOperation.Token ? TokenParameterFields.Unplaced(spec, values.Parameters) : TokenParameterFields.NoneAdded;
            var isGet = string.Equals(spec.Method, "GET", StringComparison.OrdinalIgnoreCase);
            var request = new HttpRequestMessage(HttpMethods.For(spec.Method), isGet && added.Count > 0 ? UriQuery.Append(call.Endpoint, added.AsQuery()) : call.Endpoint);
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

            // A challenge's claims go as the value of one field of their own, whatever they hold (OpenID Connect 5.5), in
            // place of any claims field of the definition's: one claims field, the one the API asked for.
            var claims = values.Grant.Claims;
            var proofFields = claims == null ? proof.Fields
                : (proof.Fields ?? Array.Empty<KeyValuePair<string, string>>()).Concat(new[] { new KeyValuePair<string, string>("claims", claims) }).ToList();
            if (spec.Fields.Count > 0 || proofFields != null || !isGet)
            {
                var body = isGet ? TokenParameterFields.NoneAdded : added;
                request.Content = spec.Encoding == BodyEncoding.Form ? FormBody(spec, values, proofFields, body) : JsonBody(spec, values, claims, body);
            }

            return request;
        }

        private static HttpContent FormBody(EndpointSpec spec, TemplateValues values, IReadOnlyList<KeyValuePair<string, string>>? proof, TokenParameterFields added)
        {
            var pairs = proof == null ? new List<KeyValuePair<string, string>>() : new List<KeyValuePair<string, string>>(proof);
            foreach (var field in spec.Fields)
            {
                if (IsReplacedByChallenge(field.Key, values))
                {
                    continue;
                }

                // RFC 8707: a form field that is {Resource} alone is repeated, once per resource.
                if (field.Value == "{Resource}")
                {
                    pairs.AddRange(values.Parameters.Resources.Select(resource => new KeyValuePair<string, string>(field.Key, resource)));
                }
                else if (FieldTemplates.Render(field.Value, values) is { } value)
                {
                    pairs.Add(new KeyValuePair<string, string>(field.Key, value.Text));
                }
            }

            pairs.AddRange(added.AsQuery().Select(pair => new KeyValuePair<string, string>(pair.Key, pair.Value!)));
            return new FormUrlEncodedContent(pairs);
        }

        private static HttpContent JsonBody(EndpointSpec spec, TemplateValues values, string? claims, TokenParameterFields added)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                foreach (var field in spec.Fields)
                {
                    if (IsReplacedByChallenge(field.Key, values))
                    {
                        continue;
                    }

                    if (field.Value == "{Resource}" && values.Parameters.Resources.Count > 1)
                    {
                        WriteStrings(writer, field.Key, values.Parameters.Resources);
                        continue;
                    }

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

                if (claims != null)
                {
                    writer.WriteString("claims", claims);
                }

                foreach (var group in added.Fields.GroupBy(pair => pair.Key, StringComparer.Ordinal))
                {
                    WriteStrings(writer, group.Key, group.Select(pair => pair.Value).ToList());
                }

                writer.WriteEndObject();
            }

            var content = new ByteArrayContent(buffer.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            return content;
        }

        /// <summary>The definition's own claims field, when a challenge's claims take its place for this request.</summary>
        private static bool IsReplacedByChallenge(string field, TemplateValues values) => values.Grant.Claims != null && field == "claims";

        /// <summary>One value as a string, several as an array of strings.</summary>
        private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
        {
            if (values.Count == 1)
            {
                writer.WriteString(name, values[0]);
                return;
            }

            writer.WriteStartArray(name);
            foreach (var value in values)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }
    }
}
