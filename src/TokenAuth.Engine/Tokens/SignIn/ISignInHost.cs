using System;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// What the caller's host does for a person's sign-in that the engine cannot: say whether a person can answer at all,
    /// show them the device code, and open their browser. The cmdlet layer implements it (the information stream, the
    /// BROWSER variable); the engine knows nothing of how.
    /// </summary>
    public interface ISignInHost
    {
        /// <summary>Why no person can answer in this session (-NonInteractive, a CI job); null when one can.</summary>
        string? WhyNoPerson { get; }

        /// <summary>Shows the person where to go and the code to enter; never given the device code itself.</summary>
        void ShowDeviceCode(DeviceCodePrompt prompt);

        /// <summary>Opens the address in the person's browser; false when none could be opened (the link is then shown instead).</summary>
        bool OpenBrowser(Uri address);

        /// <summary>Shows the person a line of guidance (where to open the link when no browser opened).</summary>
        void ShowMessage(string message);
    }

    /// <summary>What a person needs to finish a device code sign-in: where to go, the code to enter, and until when.</summary>
    public sealed class DeviceCodePrompt
    {
        internal DeviceCodePrompt(string provider, string userCode, Uri verificationUri, Uri? verificationUriComplete, DateTimeOffset expiresOn)
        {
            Provider = provider;
            UserCode = userCode;
            VerificationUri = verificationUri;
            VerificationUriComplete = verificationUriComplete;
            ExpiresOn = expiresOn;
        }

        public string Provider { get; }

        public string UserCode { get; }

        public Uri VerificationUri { get; }

        public Uri? VerificationUriComplete { get; }

        public DateTimeOffset ExpiresOn { get; }

        /// <summary>The sentence shown to the person.</summary>
        public string Message =>
            $"To sign in to {Provider}, open {VerificationUri} and enter the code {UserCode}"
            + (VerificationUriComplete != null ? $" (or open {VerificationUriComplete})" : "")
            + $". The code expires at {ExpiresOn.UtcDateTime:u}.";

        public override string ToString() => Message;
    }
}
