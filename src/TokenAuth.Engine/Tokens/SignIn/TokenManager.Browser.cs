using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Credentials;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Json;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>Signing a person in in their browser: authorization code with PKCE (RFC 7636) on a loopback redirect (RFC 8252).</summary>
    internal sealed partial class TokenManager
    {
        private static readonly TimeSpan BrowserWait = TimeSpan.FromMinutes(5);

        private async Task<AccessToken> BrowserAsync(TokenRequest request, SignInRequest signIn, SignInSpec people, ITokenAuthLog? log, CancellationToken abandoned)
        {
            var provider = request.Target.ProviderName;
            var authorize = SignInEndpoint(provider, people.AuthorizationEndpoint, "an authorization endpoint", "-UseDeviceCode");
            var verifier = Pkce.RandomText();
            var state = Pkce.RandomText(16);
            using var redirect = new LoopbackRedirect();
            var query = new List<KeyValuePair<string, string>>
            {
                Pair("response_type", "code"), Pair("client_id", ClientIdOf(request)), Pair("redirect_uri", redirect.RedirectUri.AbsoluteUri),
                Pair("state", state), Pair("code_challenge", Pkce.ChallengeOf(verifier)), Pair("code_challenge_method", "S256"),
            };
            if (!string.IsNullOrEmpty(request.Scope))
            {
                query.Add(Pair("scope", request.Scope!));
            }

            if (signIn.LoginHint != null)
            {
                query.Add(Pair("login_hint", signIn.LoginHint));
            }

            if (signIn.Prompt != null)
            {
                query.Add(Pair("prompt", signIn.Prompt));
            }

            var address = UriQuery.Append(authorize, query.Select(pair => new KeyValuePair<string, string?>(pair.Key, pair.Value)));
            log.Verbose($"{provider}: waiting for the browser's redirect to {redirect.RedirectUri}.");
            if (!signIn.Host.OpenBrowser(address))
            {
                signIn.Host.ShowMessage($"No browser could be opened. To sign in to {provider}, open this address in a browser on this computer "
                    + $"(it returns to {redirect.RedirectUri.GetLeftPart(UriPartial.Authority)}): {address.AbsoluteUri} . Or use -UseDeviceCode.");
            }

            IReadOnlyDictionary<string, string> callback;
            var limit = signIn.Timeout ?? BrowserWait;
            using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(abandoned))
            {
                _clock.CancelAfter(waiting, limit);
                try
                {
                    callback = await redirect.WaitForCallbackAsync(state, _clock, waiting.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!abandoned.IsCancellationRequested)
                {
                    throw redirect.WrongStateCount > 0
                        ? new SignInException(provider, SignInFailure.StateMismatch,
                            $"The browser sign-in to {provider} did not complete within {limit.TotalSeconds:0.###} s; {redirect.WrongStateCount} redirect(s) came back with a state "
                            + "that was not this sign-in's and were refused (a forged or stale link).")
                        : new SignInException(provider, SignInFailure.TimedOut, $"The browser sign-in to {provider} did not complete within {limit.TotalSeconds:0.###} s.");
                }
            }

            redirect.Dispose();
            if (callback.TryGetValue("error", out var error))
            {
                var description = callback.TryGetValue("error_description", out var said) ? ": " + Redaction.Printable(said) : "";
                throw error == "access_denied"
                    ? new SignInException(provider, SignInFailure.AccessDenied, $"The sign-in to {provider} was declined (access_denied{description}); no token was issued.")
                    : new SignInException(provider, SignInFailure.AuthorizationFailed, $"{provider} did not sign the person in ({Redaction.Printable(error)}{description}).");
            }

            if (!callback.TryGetValue("code", out var code) || code.Length == 0)
            {
                throw new SignInException(provider, SignInFailure.AuthorizationFailed, $"{provider}'s redirect carried neither a code nor an error.");
            }

            // RedeemAsync's call holds the code and the verifier: hidden from its errors, masked in a CI's log.
            var redeem = new List<KeyValuePair<string, string>>
            {
                Pair("grant_type", "authorization_code"), Pair("code", code), Pair("redirect_uri", redirect.RedirectUri.AbsoluteUri), Pair("code_verifier", verifier),
            };
            return await RedeemAsync(request, ProviderOperation.Token, redeem, null, log, abandoned).ConfigureAwait(false);
        }
    }
}
