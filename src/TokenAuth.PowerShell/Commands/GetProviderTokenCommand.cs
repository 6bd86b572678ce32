using System;
using System.Management.Automation;

namespace TokenAuth.Commands
{
    /// <summary>Get-ProviderToken: a token for the session, from the cache while it is good.</summary>
    [Cmdlet(VerbsCommon.Get, "ProviderToken", DefaultParameterSetName = ByToken)]
    [OutputType(typeof(ProviderToken), typeof(string), typeof(DecodedProviderToken))]
    public sealed class GetProviderTokenCommand : ProviderCmdlet
    {
        [Parameter]
        public SwitchParameter Force { get; set; }

        [Parameter]
        public SwitchParameter AsPlainText { get; set; }

        /// <summary>Show the JWT's header and claims (not verified) instead of the token; never its signature or the token itself.</summary>
        [Parameter]
        public SwitchParameter Decoded { get; set; }

        protected override void BeginProcessing()
        {
            // Refused before anything is asked for: a token fetched for nothing may have meant a sign-in.
            if (Decoded && AsPlainText)
            {
                ThrowTerminatingError(ToErrorRecord(new Errors.InvalidRequestException(null, "-Decoded shows the token's claims and -AsPlainText the token itself: give one."), null));
            }

            base.BeginProcessing();
        }

        protected override void ProcessRecord() => ForItem(ErrorTarget, () =>
        {
            // -Force also reads the vault again, in case the secret was rotated.
            var request = CreateTokenRequest(rereadSecret: Force);
            var result = Await(TokenAuthSession.Engine.GetTokenAsync(request, Force, Log, Cancellation, CallTimeout));
            if (Decoded)
            {
                WriteDecoded(result.Token);
                return;
            }

            if (!AsPlainText)
            {
                var (secretName, vault) = CredentialSource;
                WriteObject(new ProviderToken(result, secretName, vault));
                return;
            }

            MaskInCiLog(result.Token.Value);
            WriteObject(result.Token.Value);
        });

        private void WriteDecoded(Tokens.AccessToken token)
        {
            if (!Tokens.DecodedToken.TryDecode(token.Value, out var decoded))
            {
                WriteError(new ErrorRecord(new InvalidOperationException($"The {token.Provider} token is not a JWT: it has no header or claims to show."), "TokenNotJwt",
                    ErrorCategory.InvalidData, token.Provider));
                return;
            }

            WriteObject(new DecodedProviderToken(token, decoded!));
        }
    }
}
