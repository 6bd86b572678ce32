using System;
using System.Collections.Generic;
using System.Linq;

namespace TokenAuth.Tokens
{
    /// <summary>How a person signs in: with a device code shown to them, or in a browser through a loopback redirect.</summary>
    public enum SignInFlow
    {
        DeviceCode,
        Browser,
    }

    /// <summary>
    /// A token for a person rather than for the client itself: which flow signs them in when no cached or renewable token
    /// serves, whom it is for (the login hint), and the caller's host that shows the code or opens the browser.
    /// </summary>
    public sealed class SignInRequest
    {
        /// <summary>The OpenID Connect prompt values a caller may ask for.</summary>
        public static readonly IReadOnlyList<string> PromptValues = new[] { "login", "consent", "select_account", "none" };

        public SignInRequest(SignInFlow flow, ISignInHost host, string? loginHint = null, string? prompt = null, TimeSpan? timeout = null)
        {
            Flow = flow;
            Host = host ?? throw new ArgumentNullException(nameof(host));
            LoginHint = string.IsNullOrWhiteSpace(loginHint) ? null : loginHint!.Trim();
            if (prompt != null && !PromptValues.Contains(prompt))
            {
                throw new ArgumentOutOfRangeException(nameof(prompt), $"The prompt must be one of {string.Join(", ", PromptValues)}.");
            }

            Prompt = prompt;
            Timeout = timeout;
        }

        public SignInFlow Flow { get; }

        public ISignInHost Host { get; }

        /// <summary>Who is signing in, as the person gave it; it also finds their token in the cache (see <see cref="People"/>).</summary>
        public string? LoginHint { get; }

        public string? Prompt { get; }

        /// <summary>How long the sign-in may wait for the person; null: until the device code expires, or 5 minutes for the browser.</summary>
        public TimeSpan? Timeout { get; }

        /// <summary>The same sign-in for another caller, whose host shows the code and opens the browser.</summary>
        internal SignInRequest WithHost(ISignInHost host) => ReferenceEquals(host, Host) ? this : new SignInRequest(Flow, host, LoginHint, Prompt, Timeout);

        /// <summary>
        /// The account part of the key a sign-in runs under while nobody knows yet who will sign in: the login hint, or a
        /// marker for "whoever signs in". Never a token's own key: the token goes to the entry of the person it names
        /// (<see cref="People.AccountKey"/>), and this key never matches a client's own (client credentials) token.
        /// </summary>
        internal string AccountKey => LoginHint == null ? "person?" : "person?hint=" + LoginHint.ToLowerInvariant();

        /// <summary>-Prompt login, consent or select_account: the person wants to be asked, so a sign-in starts whatever the session holds.</summary>
        internal bool AsksThePerson => Prompt is "login" or "consent" or "select_account";
    }
}
