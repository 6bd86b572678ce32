namespace TokenAuth.Errors
{
    /// <summary>Why a person's sign-in (device code, browser with PKCE) or its silent renewal ended without a token.</summary>
    public enum SignInFailure
    {
        /// <summary>The session cannot reach a person (-NonInteractive, a CI job): refused at once instead of waiting.</summary>
        NotInteractive,

        /// <summary>The person (or the server's policy) declined: access_denied.</summary>
        AccessDenied,

        /// <summary>The device code expired before the person finished: expired_token.</summary>
        DeviceCodeExpired,

        /// <summary>The caller's time (-TimeoutSec) or the sign-in's own ran out while waiting for the person.</summary>
        TimedOut,

        /// <summary>Only callbacks with a state other than the one sent came back: a forged or stale redirect.</summary>
        StateMismatch,

        /// <summary>The authorization server answered the callback with an error other than access_denied (login_required for -Prompt none, say).</summary>
        AuthorizationFailed,

        /// <summary>The refresh token was refused (invalid_grant): the person must sign in again.</summary>
        SignInAgain,

        /// <summary>The provider's definition has no endpoint for the asked flow, or one that is not https.</summary>
        NotSupported,
    }

    /// <summary>A person's sign-in that ended without a token; its message never holds a code, verifier or token.</summary>
    public sealed class SignInException : TokenAuthException
    {
        public SignInException(string provider, SignInFailure failure, string message, System.Exception? inner = null)
            : base(message, provider, inner)
        {
            Failure = failure;
        }

        public SignInFailure Failure { get; }

        public override string ErrorId => Failure switch
        {
            SignInFailure.NotInteractive => "SignInNotInteractive",
            SignInFailure.AccessDenied => "SignInAccessDenied",
            SignInFailure.DeviceCodeExpired => "SignInDeviceCodeExpired",
            SignInFailure.TimedOut => "SignInTimedOut",
            SignInFailure.StateMismatch => "SignInStateMismatch",
            SignInFailure.AuthorizationFailed => "SignInAuthorizationFailed",
            SignInFailure.SignInAgain => "SignInAgainRequired",
            _ => "SignInNotSupported",
        };
    }
}
