using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Runtime.CompilerServices;
using TokenAuth.Errors;

namespace TokenAuth.Providers
{
    /// <summary>A provider at one base URI: where its endpoints are and which origin its tokens may be sent to.</summary>
    public sealed class ProviderTarget
    {
        private const int MaxCachedEndpoints = 1024;
        private const int MaxCachedTargets = 64;

        // Every call names its target afresh (-Provider, -Environment, -BaseUri): resolve each once per definition, so
        // the base URI is parsed and checked once and the endpoints below it stay parsed from call to call. Keyed by
        // the definition object, so a definition registered anew starts with none; bounded like the endpoints.
        private static readonly ConditionalWeakTable<ProviderDefinition, ConcurrentDictionary<(string? Environment, string? BaseUri), ProviderTarget>> Resolved =
            new ConditionalWeakTable<ProviderDefinition, ConcurrentDictionary<(string? Environment, string? BaseUri), ProviderTarget>>();
        private readonly string _baseWithoutSlash;

        // Scripts call the same few paths over and over: parse each once. Bounded, so a script that walks
        // many distinct paths (ids in the path) does not grow it without end.
        private readonly ConcurrentDictionary<string, Uri> _endpoints = new ConcurrentDictionary<string, Uri>(StringComparer.Ordinal);

        private ProviderTarget(ProviderDefinition definition, string environment, Uri baseUri)
        {
            Definition = definition;
            Environment = environment;
            BaseUri = baseUri;
            _baseWithoutSlash = baseUri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        }

        public ProviderDefinition Definition { get; }

        /// <summary>The environment name, or "Custom" when a base URI was given.</summary>
        public string Environment { get; }

        public Uri BaseUri { get; }

        public string ProviderName => Definition.Name;

        /// <summary>
        /// Resolves the base URI: an explicit one wins, else the named (or default) environment.
        /// Fails with a message that says what to give when neither yields one.
        /// </summary>
        public static ProviderTarget Resolve(ProviderDefinition definition, string? environment = null, string? baseUri = null)
        {
            var targets = Resolved.GetValue(definition, _ => new ConcurrentDictionary<(string?, string?), ProviderTarget>());
            if (targets.TryGetValue((environment, baseUri), out var known))
            {
                return known;
            }

            var target = ResolveAnew(definition, environment, baseUri);
            if (targets.Count < MaxCachedTargets)
            {
                targets.TryAdd((environment, baseUri), target);
            }

            return target;
        }

        private static ProviderTarget ResolveAnew(ProviderDefinition definition, string? environment, string? baseUri)
        {
            if (!string.IsNullOrWhiteSpace(baseUri))
            {
                return new ProviderTarget(definition, environment ?? "Custom", ParseBaseUri(definition.Name, baseUri!, "the base URI"));
            }

            var name = string.IsNullOrWhiteSpace(environment) ? definition.DefaultEnvironment : environment!;
            if (definition.TryGetEnvironment(name, out var address))
            {
                return new ProviderTarget(definition, name, ParseBaseUri(definition.Name, address, $"environment {name}"));
            }

            if (definition.Environments.Count == 0)
            {
                throw new ProviderConfigurationException(
                    $"{definition.Name} has no known public address: give its base URI (for example -BaseUri https://corebanking.example.com).",
                    definition.Name, "BaseUri");
            }

            throw new ProviderConfigurationException(
                $"{definition.Name} has no '{name}' environment; known environments: {string.Join(", ", definition.Environments.Keys.OrderBy(k => k, StringComparer.OrdinalIgnoreCase))}. "
                + "Give a base URI to use another address.", definition.Name, "Environment");
        }

        /// <summary>An endpoint below the base URI; the base URI's own path prefix is kept.</summary>
        public Uri Endpoint(string path)
        {
            if (_endpoints.TryGetValue(path, out var known))
            {
                return known;
            }

            var endpoint = new Uri(_baseWithoutSlash + "/" + path.TrimStart('/'), UriKind.Absolute);
            if (_endpoints.Count < MaxCachedEndpoints)
            {
                _endpoints.TryAdd(path, endpoint);
            }

            return endpoint;
        }

        /// <summary>
        /// A token service endpoint (token, refresh, revoke): below the base URI, or the absolute address the definition
        /// gives for a provider whose token service is on another host than its API (Entra ID's for Microsoft Graph).
        /// </summary>
        public Uri ServiceEndpoint(string path) => IsAbsoluteAddress(path) ? new Uri(path, UriKind.Absolute) : Endpoint(path);

        /// <summary>Whether an endpoint's path is an address of its own (http or https), not a path below the base URI.</summary>
        internal static bool IsAbsoluteAddress(string path) =>
            path.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || path.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

        /// <summary>True when a URI has the same scheme, host and port as the base URI.</summary>
        public bool IsSameOrigin(Uri uri) =>
            uri.IsAbsoluteUri
            && string.Equals(uri.Scheme, BaseUri.Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(uri.IdnHost, BaseUri.IdnHost, StringComparison.OrdinalIgnoreCase)
            && uri.Port == BaseUri.Port;

        /// <summary>The base URI's origin, or one the definition names in trustedOrigins: where a redirect keeps the token.</summary>
        public bool IsProviderOrigin(Uri uri) => IsSameOrigin(uri) || TrustedOrigins.Include(Definition.TrustedOrigins, uri);

        /// <summary>True when an absolute URI's path is the base URI's path or below it.</summary>
        public bool IsBelowBase(Uri uri)
        {
            var prefix = BaseUri.AbsolutePath.TrimEnd('/');
            return IsSameOrigin(uri)
                && (prefix.Length == 0
                    || uri.AbsolutePath.Equals(prefix, StringComparison.Ordinal)
                    || (uri.AbsolutePath.StartsWith(prefix, StringComparison.Ordinal) && uri.AbsolutePath[prefix.Length] == '/'));
        }

        /// <summary>
        /// The one rule for where a token may travel at all: https, or plain http to this machine's own loopback
        /// (the emulator, a local gateway). Base URIs, definitions' environments and redirects are all held to it.
        /// </summary>
        public static bool IsTokenSafe(Uri uri) =>
            uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && Http.LoopbackBypassingProxy.IsLoopback(uri)));

        public override string ToString() => $"{Definition.Name} ({Environment}, {BaseUri})";

        private static Uri ParseBaseUri(string provider, string text, string what)
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                throw new ProviderConfigurationException($"{provider}: {what} '{text}' is not an absolute http(s) URI.", provider, "BaseUri");
            }

            if (!IsTokenSafe(uri))
            {
                throw new ProviderConfigurationException(
                    $"{provider}: {what} '{uri}' uses plain http; tokens travel only over https (plain http is allowed for loopback hosts only).",
                    provider, "BaseUri");
            }

            if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
            {
                throw new ProviderConfigurationException($"{provider}: {what} must not carry a query, fragment or user information.", provider, "BaseUri");
            }

            return uri;
        }
    }
}
