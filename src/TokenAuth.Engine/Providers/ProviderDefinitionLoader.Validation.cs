using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;

namespace TokenAuth.Providers
{
    /// <summary>The checks a definition must pass beyond its JSON's shape, each problem named with the field it is in.</summary>
    public static partial class ProviderDefinitionLoader
    {
        private static IEnumerable<Problem> Validate(ProviderDefinition definition)
        {
            if (string.IsNullOrWhiteSpace(definition.Name) || !definition.Name.All(c => char.IsLetterOrDigit(c) || c == '-' || c == '_'))
            {
                yield return new Problem("$.name", "is required: letters, digits, '-' and '_' only");
            }

            foreach (var environment in definition.Environments)
            {
                if (!Uri.TryCreate(environment.Value, UriKind.Absolute, out var uri) || !ProviderTarget.IsTokenSafe(uri))
                {
                    yield return new Problem($"$.environments.{environment.Key}", "must be an absolute https URI (plain http only for loopback hosts)");
                }
            }

            if (definition.Environments.Count > 0 && !definition.TryGetEnvironment(definition.DefaultEnvironment, out _))
            {
                yield return new Problem("$.defaultEnvironment", $"names '{definition.DefaultEnvironment}', which is not one of the environments");
            }

            if (definition.Credential.Fields.Count == 0)
            {
                yield return new Problem("$.credential.fields", "must list at least one credential field (" + AllowedValues["fields"] + ")");
            }

            foreach (var limit in definition.Credential.MaxLength.Where(limit => limit.Value <= 0))
            {
                yield return new Problem($"$.credential.maxLength.{limit.Key}", "must be a positive number");
            }

            foreach (var problem in ValidateEndpoint("$.token", definition.Token, definition, allowed: Array.Empty<string>()))
            {
                yield return problem;
            }

            if (definition.Token.ClientAuthentication == ClientAuthentication.Basic
                && !(definition.Credential.Fields.Contains(CredentialField.ClientId) && definition.Credential.Fields.Contains(CredentialField.ClientSecret)))
            {
                yield return new Problem("$.token.clientAuthentication", "Basic needs ClientId and ClientSecret in credential.fields");
            }

            foreach (var problem in ValidateAssertion(definition))
            {
                yield return problem;
            }

            foreach (var problem in ValidateGrantTokens(definition))
            {
                yield return problem;
            }

            foreach (var problem in ValidateSignIn(definition))
            {
                yield return problem;
            }

            var response = definition.TokenResponse;
            foreach (var (path, value) in new[] { ("accessToken", response.AccessToken), ("tokenType", response.TokenType), ("refreshToken", response.RefreshToken), ("scope", response.Scope) })
            {
                if ((value != null || path == "accessToken") && !JsonFieldPath.IsValid(value ?? ""))
                {
                    yield return new Problem($"$.tokenResponse.{path}", "must be a field path such as 'access_token' or 'data.token'");
                }
            }

            for (var i = 0; i < response.Expiry.Count; i++)
            {
                if (!JsonFieldPath.IsValid(response.Expiry[i].Path))
                {
                    yield return new Problem($"$.tokenResponse.expiry[{i}].path", "must be a field path such as 'expires_in'");
                }
            }

            if (response.DefaultLifetimeSeconds <= 0)
            {
                yield return new Problem("$.tokenResponse.defaultLifetimeSeconds", "must be a positive number of seconds");
            }

            if (!HeaderValues.IsToken(definition.Authorization.Scheme))
            {
                yield return new Problem("$.authorization.scheme", "must be one word of letters, digits and !#$%&'*+-.^_`|~ (an HTTP token), such as Bearer");
            }

            if (definition.Authorization.Header is { } tokenHeader
                && (!HeaderValues.IsToken(tokenHeader) || !Logging.Redaction.IsSensitiveName(tokenHeader) || definition.Authorization.SchemeFromTokenType))
            {
                yield return new Problem("$.authorization.header",
                    "must be a header name (an HTTP token) that reads as a credential's, holding 'token', 'auth' or 'key' (X-Vault-Token), so that logs mask it; not with schemeFromTokenType");
            }

            if (definition.Refresh != null)
            {
                foreach (var problem in ValidateEndpoint("$.refresh", definition.Refresh, definition, allowed: new[] { "RefreshToken" }))
                {
                    yield return problem;
                }

                if (response.RefreshToken == null)
                {
                    yield return new Problem("$.tokenResponse.refreshToken", "is needed when a refresh endpoint is described");
                }
            }

            if (definition.Revoke != null)
            {
                foreach (var problem in ValidateEndpoint("$.revoke", definition.Revoke, definition, allowed: new[] { "AccessToken" }))
                {
                    yield return problem;
                }

                if (definition.Revoke.RefreshTokenFields is { } refreshFields)
                {
                    var templates = refreshFields.Select(field => (Path: $"$.revoke.refreshTokenFields.{field.Key}", Template: (string?)field.Value));
                    foreach (var problem in ValidateTemplates(templates, definition, allowed: new[] { "RefreshToken" }))
                    {
                        yield return problem;
                    }

                    if (!refreshFields.Values.Any(template => FieldTemplates.PlaceholdersIn(template ?? "").Contains("RefreshToken")))
                    {
                        yield return new Problem("$.revoke.refreshTokenFields", "must send the refresh token: a field such as \"token\": \"{RefreshToken}\"");
                    }

                    if (response.RefreshToken == null)
                    {
                        yield return new Problem("$.tokenResponse.refreshToken", "is needed when revoke.refreshTokenFields is described");
                    }
                }
            }

            if (definition.WhoAmI != null && string.IsNullOrWhiteSpace(definition.WhoAmI.Path))
            {
                yield return new Problem("$.whoAmI.path", "is required");
            }

            if (definition.Paging != null && string.IsNullOrWhiteSpace(definition.Paging.NextLinkPath) && string.IsNullOrWhiteSpace(definition.Paging.ItemsPath))
            {
                yield return new Problem("$.paging", "needs nextLinkPath, itemsPath or both");
            }

            if (definition.WhoAmI?.ResultPath is { Length: > 0 } resultPath && !JsonFieldPath.IsValid(resultPath))
            {
                yield return new Problem("$.whoAmI.resultPath", "must be a field path such as 'data', 'data.user' or 'users[0]'");
            }

            if (definition.TrustedCertificates is { } bundle && string.IsNullOrWhiteSpace(bundle))
            {
                yield return new Problem("$.trustedCertificates", "must be the path of a PEM file of CA certificates");
            }

            for (var i = 0; i < definition.TrustedOrigins.Count; i++)
            {
                if (TrustedOrigins.Problem(definition.TrustedOrigins[i] ?? "") is { } problem)
                {
                    yield return new Problem($"$.trustedOrigins[{i}]", problem);
                }
            }

            if (definition.ClientCertificate is { } certificate)
            {
                var sources = new[] { certificate.SecretName, certificate.CertificateFile, certificate.Thumbprint }.Count(value => !string.IsNullOrWhiteSpace(value));
                if (sources != 1)
                {
                    yield return new Problem("$.clientCertificate", "needs exactly one of secretName (a PFX in a vault), certificateFile (PEM) or thumbprint (a certificate store)");
                }

                if (certificate.KeyFile != null && certificate.CertificateFile == null)
                {
                    yield return new Problem("$.clientCertificate.keyFile", "goes with certificateFile");
                }

                if ((certificate.PasswordSecretName != null || certificate.Vault != null) && certificate.SecretName == null)
                {
                    yield return new Problem("$.clientCertificate", "vault and passwordSecretName go with secretName");
                }

                if (certificate.StoreLocation != "CurrentUser" && certificate.StoreLocation != "LocalMachine")
                {
                    yield return new Problem("$.clientCertificate.storeLocation", "must be CurrentUser or LocalMachine");
                }
            }

            if (definition.TokenCacheVault != null && (definition.TokenCacheVault.Trim().Length == 0 || definition.TokenCacheVault.Any(char.IsControl)))
            {
                yield return new Problem("$.tokenCacheVault", "must name a registered SecretManagement vault (Get-SecretVault lists them)");
            }

            foreach (var (list, name) in new[] { (definition.Errors.CodePaths, "codePaths"), (definition.Errors.MessagePaths, "messagePaths") })
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (!JsonFieldPath.IsValid(list[i]))
                    {
                        yield return new Problem($"$.errors.{name}[{i}]", "must be a field path such as 'error.message'");
                    }
                }
            }
        }

        private static IEnumerable<Problem> ValidateAssertion(ProviderDefinition definition)
        {
            var token = definition.Token;
            var authentication = token.ClientAuthentication;
            var assertion = token.Assertion;
            if (!token.TakesAssertion)
            {
                if (assertion != null)
                {
                    yield return new Problem("$.token.assertion", "goes with clientAuthentication PrivateKeyJwt or FederatedAssertion");
                }

                yield break;
            }

            if (!definition.Credential.Fields.Contains(CredentialField.ClientId))
            {
                yield return new Problem("$.token.clientAuthentication", $"{authentication} needs ClientId in credential.fields: the server knows the client by it");
            }

            if (token.Encoding != BodyEncoding.Form)
            {
                yield return new Problem("$.token.encoding", $"must be Form with {authentication}: the assertion is a form field (RFC 7523)");
            }

            if (authentication == ClientAuthentication.PrivateKeyJwt && assertion?.Source != null)
            {
                yield return new Problem("$.token.assertion.source", "goes with FederatedAssertion: a PrivateKeyJwt client signs its own assertions (-ClientAssertion still replaces them for a call)");
            }

            if (authentication == ClientAuthentication.FederatedAssertion
                && assertion != null && (assertion.Audience != null || assertion.IncludeCertificate || assertion.Thumbprint != AssertionThumbprint.Sha256))
            {
                yield return new Problem("$.token.assertion",
                    "audience, includeCertificate and thumbprint go with PrivateKeyJwt: a federated assertion is signed by its issuer (ask GitHub for an audience with GitHubActions:AUDIENCE)");
            }

            string? refusal = null;
            try
            {
                _ = assertion?.Source == null ? null : AssertionSourceName.Parse(assertion.Source);
            }
            catch (ArgumentException ex)
            {
                refusal = ex.Message;
            }

            if (refusal != null)
            {
                yield return new Problem("$.token.assertion.source", refusal);
            }
        }

        /// <summary>The scheme and authority of an absolute address: what comes before its path.</summary>
        private static string AuthorityOf(string address)
        {
            var start = address.IndexOf("://", StringComparison.Ordinal) + 3;
            var end = address.IndexOfAny(new[] { '/', '?', '#' }, start);
            return end < 0 ? address : address.Substring(0, end);
        }

        private static IEnumerable<Problem> ValidateEndpoint(string at, EndpointSpec endpoint, ProviderDefinition definition, string[] allowed)
        {
            var endpointPath = endpoint.Path ?? "";
            if (ProviderTarget.IsAbsoluteAddress(endpointPath))
            {
                // A token service on a host of its own: the credential goes there, so it is held to the rule tokens are.
                if (!Uri.TryCreate(endpointPath, UriKind.Absolute, out var address) || !ProviderTarget.IsTokenSafe(address) || address.UserInfo.Length > 0)
                {
                    yield return new Problem(at + ".path", "is an address, and must be an https one (http only to this machine's loopback), without user information");
                }
            }
            else if (string.IsNullOrWhiteSpace(endpointPath) || endpointPath.Contains("://") || endpointPath.StartsWith("//", StringComparison.Ordinal))
            {
                yield return new Problem(at + ".path",
                    "is required: a path relative to the base URI, such as /oauth/token, or the https address of a token service on another host");
            }

            // A path may name the call's own parameters, in its path and query only: a host of a placeholder's choosing is never the definition's.
            foreach (var placeholder in FieldTemplates.PlaceholdersIn(endpointPath))
            {
                if (!FieldTemplates.CallPlaceholders.Contains(placeholder))
                {
                    yield return new Problem(at + ".path", $"uses '{{{placeholder}}}', which a path cannot hold; known: {string.Join(" ", FieldTemplates.CallPlaceholders.Select(name => "{" + name + "}"))}");
                }
            }

            if (ProviderTarget.IsAbsoluteAddress(endpointPath) && AuthorityOf(endpointPath).IndexOf('{') >= 0)
            {
                yield return new Problem(at + ".path", "names a placeholder in its host: the token service's host is the definition's own, never a parameter's");
            }

            if (endpoint.Method != "POST" && endpoint.Method != "GET" && endpoint.Method != "PUT")
            {
                yield return new Problem(at + ".method", "must be POST, GET or PUT");
            }

            foreach (var header in endpoint.Headers)
            {
                if (HeaderValues.Refusal(header.Key, header.Value ?? "") != null)
                {
                    yield return new Problem($"{at}.headers.{header.Key}", "must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~) with a value of one line");
                }
            }

            var templates = endpoint.Fields.Select(field => (Path: $"{at}.fields.{field.Key}", Template: (string?)field.Value))
                .Concat(endpoint.Headers.Select(header => (Path: $"{at}.headers.{header.Key}", Template: (string?)header.Value)))
                // The grant's tokens are checked with the grant (ValidateGrantTokens).
                .Where(field => !(at == "$.token" && field.Path.StartsWith("$.token.fields.", StringComparison.Ordinal) && IsGrantTokenTemplate(field.Template ?? "")));
            foreach (var problem in ValidateTemplates(templates, definition, allowed))
            {
                yield return problem;
            }
        }

        /// <summary>The placeholders of field and header templates (path, template): a listed credential field, an optional one, or one of <paramref name="allowed"/>.</summary>
        private static IEnumerable<Problem> ValidateTemplates(IEnumerable<(string Path, string? Template)> templates, ProviderDefinition definition, string[] allowed)
        {
            foreach (var (path, template) in templates)
            {
                foreach (var placeholder in FieldTemplates.PlaceholdersIn(template ?? ""))
                {
                    var isCredential = CredentialFields.TryParse(placeholder, ignoreCase: false, out var field);
                    if (isCredential && !definition.Credential.Fields.Contains(field))
                    {
                        yield return new Problem(path, $"uses {{{placeholder}}}, which credential.fields does not list");
                    }
                    else if (!isCredential && !FieldTemplates.OptionalPlaceholders.Contains(placeholder) && !allowed.Contains(placeholder))
                    {
                        var known = CredentialFields.Names.Concat(FieldTemplates.OptionalPlaceholders).Concat(allowed).Select(name => "{" + name + "}");
                        yield return new Problem(path, $"uses '{{{placeholder}}}', which is not a placeholder here; known: {string.Join(" ", known)}");
                    }
                }
            }
        }
    }
}
