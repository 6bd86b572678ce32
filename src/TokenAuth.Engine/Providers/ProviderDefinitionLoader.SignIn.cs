using System;
using System.Collections.Generic;
using System.Linq;

namespace TokenAuth.Providers
{
    /// <summary>
    /// The checks on a definition's signIn section, when the definition is loaded rather than when a person first signs
    /// in: a person is sent to its authorization and device endpoints, so each is an https address (http only to this
    /// machine's loopback) the definition names itself.
    /// </summary>
    public static partial class ProviderDefinitionLoader
    {
        private static IEnumerable<Problem> ValidateSignIn(ProviderDefinition definition)
        {
            if (definition.SignIn is not { } signIn)
            {
                yield break;
            }

            if (signIn.AuthorizationEndpoint == null && signIn.DeviceAuthorizationEndpoint == null)
            {
                yield return new Problem("$.signIn", "needs authorizationEndpoint (for -Interactive) or deviceAuthorizationEndpoint (for -UseDeviceCode), or both");
            }

            foreach (var (field, address) in new[]
                { ("authorizationEndpoint", signIn.AuthorizationEndpoint), ("deviceAuthorizationEndpoint", signIn.DeviceAuthorizationEndpoint), ("issuer", signIn.Issuer) })
            {
                if (address != null && !IsSignInAddress(address))
                {
                    yield return new Problem("$.signIn." + field,
                        "must be an absolute https address (http only to this machine's loopback), without user information, a fragment or a placeholder");
                }
            }

            if (signIn.ClientId != null && (signIn.ClientId.Trim().Length == 0 || signIn.ClientId.Any(char.IsControl)))
            {
                yield return new Problem("$.signIn.clientId", "must be the client id people sign in to: text of one line");
            }

            if (signIn.ClientId == null && !definition.Credential.Fields.Contains(CredentialField.ClientId))
            {
                yield return new Problem("$.signIn.clientId", "is needed when credential.fields does not list ClientId: people sign in to a client the server knows by its id");
            }

            if (string.IsNullOrWhiteSpace(signIn.DefaultScope) || signIn.DefaultScope.Any(char.IsControl))
            {
                yield return new Problem("$.signIn.defaultScope", "must be a scope of one line, such as 'openid profile email offline_access'");
            }
        }

        private static bool IsSignInAddress(string address) =>
            Uri.TryCreate(address, UriKind.Absolute, out var uri) && ProviderTarget.IsTokenSafe(uri) && uri.UserInfo.Length == 0 && uri.Fragment.Length == 0
            && address.IndexOfAny(new[] { '{', '}' }) < 0 && !address.Any(char.IsControl);
    }
}
