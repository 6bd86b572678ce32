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
    /// <summary>Signing a person in with a device code (RFC 8628): the code shown, the token endpoint polled at the pace the provider sets.</summary>
    internal sealed partial class TokenManager
    {
        private const string DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
        private static readonly TimeSpan SlowDownStep = TimeSpan.FromSeconds(5);

        private async Task<AccessToken> DeviceCodeAsync(TokenRequest request, SignInRequest signIn, SignInSpec people, ITokenAuthLog? log, CancellationToken abandoned)
        {
            var provider = request.Target.ProviderName;
            var endpoint = SignInEndpoint(provider, people.DeviceAuthorizationEndpoint, "a device authorization endpoint", "-Interactive");
            var fields = new List<KeyValuePair<string, string>> { Pair("client_id", ClientIdOf(request)) };
            if (!string.IsNullOrEmpty(request.Scope))
            {
                fields.Add(Pair("scope", request.Scope!));
            }

            var call = new TokenCallContext(request, ProviderOperation.Token, log, CallBudget.Starting(_clock, Options.TokenTimeout), abandoned);
            var started = _clock.GetUtcNow();
            var body = await CallFormAsync(new SignInFormCall(endpoint, fields, null), call).ConfigureAwait(false);
            string deviceCode, userCode, verification;
            string? complete;
            long? expiresIn, interval;
            try
            {
                using var answer = JsonDocument.Parse(body);
                var root = answer.RootElement;
                deviceCode = Text(root, "device_code") ?? throw new FormatException("device_code");
                userCode = Text(root, "user_code") ?? throw new FormatException("user_code");
                verification = Text(root, "verification_uri") ?? Text(root, "verification_url") ?? throw new FormatException("verification_uri");
                complete = Text(root, "verification_uri_complete");
                expiresIn = Number(root, "expires_in");
                interval = Number(root, "interval");
            }
            catch (Exception ex) when (ex is JsonException || ex is FormatException || ex is InvalidOperationException)
            {
                throw new MalformedResponseException(provider, ProviderOperation.Token, Redaction.RedactUri(endpoint), ex is FormatException ? ex.Message : null,
                    "is not a device authorization answer (RFC 8628 §3.2)");
            }

            call.HoldAssertion(deviceCode);
            var verificationUri = PersonFacing(provider, verification, "verification_uri");
            var verificationComplete = complete == null ? null : PersonFacing(provider, complete, "verification_uri_complete");
            var codeExpires = started + TimeSpan.FromSeconds(expiresIn is > 0 and < 86400 ? expiresIn.Value : 900);
            signIn.Host.ShowDeviceCode(new DeviceCodePrompt(provider, Redaction.Printable(userCode), verificationUri, verificationComplete, codeExpires));
            var deadline = signIn.Timeout is { } timeout && started + timeout < codeExpires ? started + timeout : codeExpires;
            // RFC 8628 §3.5: 5 s when the server names no interval; at least a second whatever it says.
            var wait = TimeSpan.FromSeconds(interval is >= 1 and < 3600 ? interval.Value : interval is 0 ? 1 : 5);
            var slowedDown = false;
            var poll = new List<KeyValuePair<string, string>> { Pair("grant_type", DeviceCodeGrant), Pair("device_code", deviceCode) };
            while (true)
            {
                var left = deadline - _clock.GetUtcNow();
                if (left <= TimeSpan.Zero || wait > left)
                {
                    await ClockWaits.Delay(_clock, left > TimeSpan.Zero ? left : TimeSpan.Zero, abandoned).ConfigureAwait(false);
                    throw deadline < codeExpires
                        ? new SignInException(provider, SignInFailure.TimedOut,
                            $"The device code sign-in to {provider} was not completed within {signIn.Timeout!.Value.TotalSeconds:0.###} s"
                            + (slowedDown ? $" ({provider} asked to poll more slowly: slow_down)" : "") + ".")
                        : new SignInException(provider, SignInFailure.DeviceCodeExpired, $"The device code for {provider} expired before the sign-in was completed; start it again.");
                }

                await ClockWaits.Delay(_clock, wait, abandoned).ConfigureAwait(false);
                try
                {
                    return await RedeemAsync(request, ProviderOperation.Token, poll, null, log, abandoned).ConfigureAwait(false);
                }
                catch (ProviderErrorException ex) when (ex.ProviderCode == "authorization_pending")
                {
                }
                catch (ProviderErrorException ex) when (ex.ProviderCode == "slow_down")
                {
                    // RFC 8628 §3.5: this and every later poll waits 5 s more.
                    wait += SlowDownStep;
                    slowedDown = true;
                    log.Verbose($"{provider} asked to poll more slowly (slow_down): polling every {wait.TotalSeconds:0} s.");
                }
                catch (ProviderErrorException ex) when (ex.ProviderCode == "access_denied")
                {
                    throw new SignInException(provider, SignInFailure.AccessDenied, $"The sign-in to {provider} was declined (access_denied); no token was issued.", ex);
                }
                catch (ProviderErrorException ex) when (ex.ProviderCode == "expired_token")
                {
                    throw new SignInException(provider, SignInFailure.DeviceCodeExpired, $"The device code for {provider} expired before the sign-in was completed (expired_token); start it again.", ex);
                }
            }
        }
    }
}
