using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;
using TokenAuth.Providers;
using TokenAuth.Tokens;

namespace TokenAuth.Commands
{
    /// <summary>A token for the session (Get-ProviderToken). The value is a SecureString; no view shows it.</summary>
    public sealed class ProviderToken
    {
        internal ProviderToken(TokenResult result, string? secretName, string? vault)
        {
            Access = result.Token;
            FromCache = result.FromCache;
            SecretName = secretName;
            Vault = vault;
            Token = new NetworkCredential("", result.Token.Value).SecurePassword;
            Token.MakeReadOnly();
        }

        internal AccessToken Access { get; }

        internal TokenRequest Request => Access.Request;

        public string Provider => Access.Provider;

        public string Environment => Access.Environment;

        public string BaseUri => Access.BaseUri.ToString();

        public string? TokenType => Access.TokenType;

        public string Scheme => Access.AuthorizationScheme;

        public string? Scope => Access.Scope;

        /// <summary>UTC.</summary>
        public DateTime ExpiresOn => Access.ExpiresOn.UtcDateTime;

        public TimeSpan TimeLeft => PowerShellValues.TimeLeftUntil(ExpiresOn);

        public bool ExpiryAssumed => Access.ExpiryAssumed;

        public bool FromCache { get; }

        /// <summary>Where the client assertions for this token came from (GitHubActions, Env:NAME...); null: a secret or the client certificate.</summary>
        public string? ClientAssertion => Request.AssertionSource?.Description;

        public SecureString Token { get; }

        public string? SecretName { get; }

        public string? Vault { get; }

        public override string ToString() => $"{Provider} token, expires {ExpiresOn:u}";
    }

    /// <summary>One token the session holds (Get-ProviderTokenCache): what it is for and how long it lasts, never its value.</summary>
    public sealed class CachedProviderToken
    {
        internal CachedProviderToken(AccessToken access)
        {
            Access = access;
        }

        internal AccessToken Access { get; }

        public string Provider => Access.Provider;

        public string Environment => Access.Environment;

        public string BaseUri => Access.BaseUri.ToString();

        /// <summary>The client id, or the API key's first four characters.</summary>
        public string Identity => Access.Request.Credential.DisplayIdentity;

        public string? Scope => Access.Scope;

        /// <summary>UTC.</summary>
        public DateTime ExpiresOn => Access.ExpiresOn.UtcDateTime;

        public TimeSpan TimeLeft => PowerShellValues.TimeLeftUntil(ExpiresOn);

        /// <summary>UTC: from then on the session renews the token instead of handing it out.</summary>
        public DateTime RenewsAfter => Access.RenewAfter.UtcDateTime;

        /// <summary>How the renewal will go: with the refresh token, or with the credential.</summary>
        public string RenewsWith => Access.HasRefreshToken && Access.Request.Target.Definition.Refresh != null ? "RefreshToken" : "Credential";

        public bool ExpiryAssumed => Access.ExpiryAssumed;

        /// <summary>Where the client assertions for this token came from; null: a secret or the client certificate.</summary>
        public string? ClientAssertion => Access.Request.AssertionSource?.Description;

        public override string ToString() => $"{Provider} token for {Identity}, expires {ExpiresOn:u}";
    }

    /// <summary>What Revoke-ProviderToken did.</summary>
    public sealed class TokenRevocation
    {
        internal TokenRevocation(RevokeResult result)
        {
            Provider = result.Provider;
            Forgotten = result.Forgotten;
            ProviderNotified = result.ProviderNotified;
            Message = result.Message;
        }

        internal TokenRevocation(int forgotten)
        {
            Provider = "*";
            Forgotten = forgotten > 0;
            Message = $"The session forgot {forgotten} cached token(s); the providers were not told.";
        }

        public string Provider { get; }

        public bool Forgotten { get; }

        public bool ProviderNotified { get; }

        public string Message { get; }
    }

    /// <summary>Who a token belongs to (Get-WhoAmI).</summary>
    public sealed class ProviderIdentity
    {
        internal ProviderIdentity(IdentityInfo identity)
        {
            Provider = identity.Provider;
            VerifiedByProvider = identity.VerifiedByProvider;
            Source = identity.Source;
            Claims = (PSObject)PowerShellValues.FromEngine(identity.Claims)!;
        }

        public string Provider { get; }

        /// <summary>False when the claims were read from the token itself and nothing checked them.</summary>
        public bool VerifiedByProvider { get; }

        public string Source { get; }

        public PSObject Claims { get; }
    }

    /// <summary>A provider and what it supports (Get-TokenAuthProvider).</summary>
    public sealed class TokenAuthProviderInfo
    {
        internal TokenAuthProviderInfo(ProviderDefinition definition, bool builtIn)
        {
            Name = definition.Name;
            BuiltIn = builtIn;
            Description = definition.Description;
            Environments = definition.Environments.Select(environment => $"{environment.Key}={environment.Value}").ToArray();
            CredentialFields = definition.Credential.Fields.Select(field => field.ToString()).ToArray();
            Refresh = definition.Refresh != null;
            Revoke = definition.Revoke != null;
            WhoAmI = definition.WhoAmI != null ? "Endpoint" : "JWT claims, if the token is a JWT";
            TrustedCertificates = definition.TrustedCertificates;
            var ambient = Credentials.AmbientIdentity.Of(definition);
            ClientAssertionSource = ambient?.Source.Description;
            AmbientIdentity = ambient?.Describe(definition.Name);
            DefinitionJson = ProviderDefinitionLoader.ToJson(definition);
        }

        public string Name { get; }

        public bool BuiltIn { get; }

        public string? Description { get; }

        public string[] Environments { get; }

        public string[] CredentialFields { get; }

        public bool Refresh { get; }

        public bool Revoke { get; }

        public string WhoAmI { get; }

        /// <summary>The definition's own CA bundle (trustedCertificates), trusted for this provider beside the machine's store.</summary>
        public string? TrustedCertificates { get; }

        /// <summary>The client assertion source the definition names (token.assertion.source): read only when the user names it too.</summary>
        public string? ClientAssertionSource { get; }

        /// <summary>The client assertion source the definition names, what it would take and where it would send it; read only when the user names it.</summary>
        public string? AmbientIdentity { get; }

        /// <summary>The definition as JSON: a built-in one saved, renamed and changed is a definition of the user's own.</summary>
        public string DefinitionJson { get; }
    }

    /// <summary>Between the engine's plain values (dictionaries, lists) and PowerShell's objects.</summary>
    internal static class PowerShellValues
    {
        /// <summary>Time until a UTC instant, never negative.</summary>
        public static TimeSpan TimeLeftUntil(DateTime utc)
        {
            var left = utc - DateTime.UtcNow;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }

        /// <summary>Dictionaries become PSCustomObjects (properties in order), lists become arrays.</summary>
        public static object? FromEngine(object? value) => value switch
        {
            IReadOnlyDictionary<string, object?> map => ToPSObject(map),
            IList<object?> list => list.Select(FromEngine).ToArray(),
            _ => value,
        };

        private static PSObject ToPSObject(IReadOnlyDictionary<string, object?> map)
        {
            var result = new PSObject();
            foreach (var entry in map)
            {
                result.Properties.Add(new PSNoteProperty(entry.Key, FromEngine(entry.Value)));
            }

            return result;
        }

        /// <summary>Hashtables, PSCustomObjects and lists become what System.Text.Json serialises plainly.</summary>
        public static object? ToEngine(object? value, int depth = 0)
        {
            if (depth > 64)
            {
                throw new ArgumentException("The body nests deeper than 64 levels.");
            }

            var baseObject = value is PSObject wrapped ? wrapped.BaseObject : value;
            switch (baseObject)
            {
                case null:
                    return null;
                case string or bool or DateTime or DateTimeOffset:
                    return baseObject;
                case char or Guid:
                    return baseObject.ToString();
                case Enum:
                    return baseObject.ToString();
                case IDictionary dictionary:
                    var map = new Dictionary<string, object?>();
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        map[entry.Key.ToString() ?? ""] = ToEngine(entry.Value, depth + 1);
                    }

                    return map;
                case IEnumerable sequence:
                    return sequence.Cast<object?>().Select(item => ToEngine(item, depth + 1)).ToList();
            }

            if (baseObject.GetType().IsPrimitive || baseObject is decimal)
            {
                return baseObject;
            }

            var properties = new Dictionary<string, object?>();
            foreach (var property in PSObject.AsPSObject(value!).Properties)
            {
                if (property.IsGettable)
                {
                    properties[property.Name] = ToEngine(property.Value, depth + 1);
                }
            }

            return properties;
        }
    }
}
