using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using TokenAuth.Http;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>What reading a persisted entry found.</summary>
    internal enum PersistedEntryState
    {
        /// <summary>Written for this request and still outside its renewal margin: used as it is.</summary>
        Usable,

        /// <summary>Written for this request but due for renewal: its refresh token, if it has one, may still serve.</summary>
        Due,

        /// <summary>Written for this request under another provider definition: never used.</summary>
        DefinitionChanged,

        /// <summary>Not an entry TokenAuth can read (cut short, edited by hand, not JSON).</summary>
        Corrupt,

        /// <summary>A well-formed entry for something else under this request's name (it can only have been put there on purpose).</summary>
        Foreign,

        /// <summary>Written by a later TokenAuth in a format this one does not know.</summary>
        FutureVersion,
    }

    /// <summary>One persisted entry read: its state and, when written for this request, the token.</summary>
    internal readonly struct PersistedRead
    {
        public PersistedRead(PersistedEntryState state, AccessToken? token = null, string? problem = null)
        {
            State = state;
            Token = token;
            Problem = problem;
        }

        public PersistedEntryState State { get; }

        public AccessToken? Token { get; }

        /// <summary>What is wrong with an entry that cannot be used, in words without any of its content.</summary>
        public string? Problem { get; }
    }

    /// <summary>
    /// The persisted entry's format, one JSON object per token: a format marker and version, the name's check, the
    /// provider definition's fingerprint, the access token with its type, scheme, scope and times, and the refresh token
    /// and account when there are. Never a client secret, an assertion, a private key or a PKCE verifier: the entry
    /// is made from the token alone, which holds none of them. What is read back is checked as a provider's answer is:
    /// an entry is only text someone could have written.
    /// </summary>
    internal static class PersistedTokenEntry
    {
        public const string Format = "TokenAuth.PersistedToken";

        public const int Version = 1;

        private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(3650);

        public static string Write(AccessToken token, PersistedTokenName name)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                PersistedEnvelope.WriteHeader(json, Format, Version, name);
                json.WriteString("definition", DefinitionFingerprint(token.Request.Target.Definition));
                json.WriteString("provider", token.Provider);
                // What a listing of the vault shows (PersistedTokenSummary); never read back to make a token. Not the
                // client id: the entry holds no part of the credential.
                json.WriteString("environment", token.Environment);
                json.WriteString("baseUri", token.BaseUri.ToString());
                json.WriteString("accessToken", token.Value);
                WriteOptional(json, "tokenType", token.TokenType);
                json.WriteString("scheme", token.AuthorizationScheme);
                // Only a refresh token something renews with (the definition's refresh endpoint, a person's sign-in): one
                // nothing uses (Akiba answers one, with no documented way to spend it) would only be a secret more at rest.
                WriteOptional(json, "refreshToken", token.Request.Target.Definition.Refresh != null || token.Request.SignIn != null ? token.RefreshToken : null);
                WriteOptional(json, "account", token.Account);
                WriteOptional(json, "scope", token.Scope);
                json.WriteString("issuedOn", token.IssuedOn.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture));
                json.WriteString("expiresOn", token.ExpiresOn.ToUniversalTime().ToString("o", CultureInfo.InvariantCulture));
                json.WriteBoolean("expiryAssumed", token.ExpiryAssumed);
                json.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }

        /// <param name="margin">The session's renewal rule: the margin for a token of the given lifetime.</param>
        public static PersistedRead Read(string text, TokenRequest request, PersistedTokenName name, Func<TimeSpan, TimeSpan> margin, DateTimeOffset now)
        {
            using var document = PersistedEnvelope.Open(text, Format, Version, "token entry", "this provider, credential and scope", name, out var state, out var problem);
            if (document == null)
            {
                return new PersistedRead(state, problem: problem);
            }

            var root = document.RootElement;
            var definition = request.Target.Definition;
            if (String(root, "definition") != DefinitionFingerprint(definition))
            {
                return new PersistedRead(PersistedEntryState.DefinitionChanged, problem: $"it was written under another definition of {definition.Name}");
            }

            var value = String(root, "accessToken");
            var scheme = String(root, "scheme");
            var refreshToken = String(root, "refreshToken");
            if (value == null || scheme == null || !HeaderValues.IsToken(scheme) || !HeaderValues.IsVisible(TokenAnswers.WithoutScheme(value, scheme))
                || HeaderValues.HasControlCharacter(refreshToken) || HeaderValues.HasControlCharacter(String(root, "account"))
                || HeaderValues.HasControlCharacter(String(root, "tokenType")) || HeaderValues.HasControlCharacter(String(root, "scope"))
                || !string.Equals(scheme, TokenAnswers.SchemeFor(definition, String(root, "tokenType")), StringComparison.OrdinalIgnoreCase))
            {
                return new PersistedRead(PersistedEntryState.Corrupt, problem: "its token or scheme is missing or not fit for a header, or a field shown to the user holds control characters");
            }

            if (Time(root, "issuedOn") is not { } issuedOn || Time(root, "expiresOn") is not { } expiresOn || expiresOn <= issuedOn || expiresOn - now > MaxLifetime
                || issuedOn - now > TimeSpan.FromDays(1))
            {
                return new PersistedRead(PersistedEntryState.Corrupt, problem: "its times are missing or impossible");
            }

            var renewAfter = expiresOn - margin(expiresOn - issuedOn);
            var token = new AccessToken(request, value!, String(root, "tokenType"), scheme!, refreshToken, String(root, "scope"), issuedOn, expiresOn,
                root.TryGetProperty("expiryAssumed", out var assumed) && assumed.ValueKind == JsonValueKind.True, renewAfter)
            {
                Account = String(root, "account"),
            };
            return new PersistedRead(now < renewAfter ? PersistedEntryState.Usable : PersistedEntryState.Due, token);
        }

        /// <summary>The definition as it is now: an entry written under another is not used.</summary>
        internal static string DefinitionFingerprint(ProviderDefinition definition) => Providers.DefinitionFingerprint.Of(definition);

        private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
        {
            if (value != null)
            {
                json.WriteString(name, value);
            }
        }

        /// <summary>
        /// An entry found in a vault, described for a listing without the request it was written for (so without its
        /// name's check): what it says it is for and how long it lasts, never its tokens. False, with the problem, for
        /// an entry that is not one this TokenAuth can read, or whose fields shown to the user are not fit to show.
        /// </summary>
        public static bool TryDescribe(string text, string name, string vault, out PersistedTokenSummary? summary, out string? problem)
        {
            summary = null;
            using var document = PersistedEnvelope.Open(text, Format, Version, "token entry", "", null, out _, out problem);
            if (document == null)
            {
                return false;
            }

            var root = document.RootElement;
            var shown = new[] { "provider", "environment", "baseUri", "account", "scope", "tokenType" };
            // The name is the vault's, shown as it is too (Name): whoever can write the vault chose it.
            if (String(root, "provider") is not { } provider || HeaderValues.HasControlCharacter(name)
                || shown.Any(field => HeaderValues.HasControlCharacter(String(root, field))))
            {
                problem = "its provider is missing, or its name or a field shown to the user holds control characters";
                return false;
            }

            if (Time(root, "issuedOn") is not { } issuedOn || Time(root, "expiresOn") is not { } expiresOn)
            {
                problem = "its times are missing or impossible";
                return false;
            }

            summary = new PersistedTokenSummary(name, vault, provider, String(root, "environment"),
                Uri.TryCreate(String(root, "baseUri"), UriKind.Absolute, out var baseUri) ? baseUri : null, String(root, "account"),
                String(root, "scope"), issuedOn, expiresOn, String(root, "refreshToken") != null);
            return true;
        }

        private static string? String(JsonElement root, string name) => PersistedEnvelope.String(root, name);

        private static DateTimeOffset? Time(JsonElement root, string name) =>
            String(root, name) is { } text && DateTimeOffset.TryParseExact(text, "o", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
                ? time.ToUniversalTime()
                : null;
    }
}
