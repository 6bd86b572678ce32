using System.Net.Http.Headers;
using TokenAuth.Errors;

namespace TokenAuth.Http
{
    /// <summary>
    /// What may go into a header that TokenAuth adds without .NET's parsing: a line break there would end the header
    /// and start another on the wire, so values from providers, vaults and callers are checked here first.
    /// </summary>
    internal static class HeaderValues
    {
        /// <summary>An RFC 9110 token (a header name, an authorization scheme): tchar only.</summary>
        public static bool IsToken(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return false;
            }

            foreach (var c in text!)
            {
                if (!(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' || "!#$%&'*+-.^_`|~".IndexOf(c) >= 0))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// One or more visible ASCII characters and no space: what a token may be sent as. RFC 6750's b64token is a
        /// subset; real providers' tokens use a few more visible characters ('!', ':'), which are as harmless in a header.
        /// </summary>
        public static bool IsVisible(string? text)
        {
            if (string.IsNullOrEmpty(text))
            {
                return false;
            }

            foreach (var c in text!)
            {
                if (c < '!' || c > '~')
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>True when the text holds a control character (a line break, NUL, DEL...) other than a tab.</summary>
        public static bool HasControlCharacter(string? text)
        {
            if (text == null)
            {
                return false;
            }

            foreach (var c in text)
            {
                if ((c < ' ' && c != '\t') || c == '\u007f')
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Why a header cannot be sent unparsed (a name that is not a token, a value that could split it), or null when it can.</summary>
        public static string? Refusal(string name, string value) =>
            !IsToken(name) ? "A header name is not a valid HTTP token (letters, digits and !#$%&'*+-.^_`|~ only); the request was not sent."
            : HasControlCharacter(value) ? $"The value of the header '{name}' holds a line break or another control character, which would end the header on the wire; the request was not sent."
            : null;

        /// <summary>
        /// Adds a header as given; false when it belongs to another collection (a content header on a request's).
        /// The last guard: what reaches here was checked where it came in, and anything that could split the header is refused.
        /// </summary>
        public static bool AddUnparsed(HttpHeaders headers, string name, string value, string? provider)
        {
            if (Refusal(name, value) is { } refusal)
            {
                throw new InvalidRequestException(provider, refusal);
            }

            return headers.TryAddWithoutValidation(name, value);
        }
    }
}
