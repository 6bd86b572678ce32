using System.Collections.Generic;
using System.Security;

namespace TokenAuth.Credentials
{
    /// <summary>A secret as a vault returns it, in PowerShell-free terms: a user name and password, or named fields.</summary>
    public sealed class SecretValue
    {
        private SecretValue(string shape, string? userName, SecureString? password, IReadOnlyDictionary<string, object?>? fields, byte[]? bytes = null, string? text = null)
        {
            Shape = shape;
            UserName = userName;
            Password = password;
            Fields = fields;
            Bytes = bytes;
            Text = text;
        }

        /// <summary>What the vault returned, for messages: "PSCredential", "Hashtable", "SecureString"...</summary>
        public string Shape { get; }

        public string? UserName { get; }

        public SecureString? Password { get; }

        /// <summary>Field name to a string or SecureString value.</summary>
        public IReadOnlyDictionary<string, object?>? Fields { get; }

        public static SecretValue FromUserAndPassword(string userName, SecureString password) => new SecretValue("PSCredential", userName, password, null);

        public static SecretValue FromFields(IReadOnlyDictionary<string, object?> fields) => new SecretValue("Hashtable", null, null, fields);

        /// <summary>A lone SecureString (a PFX's password): not a provider credential.</summary>
        public static SecretValue FromSecureString(SecureString value) => new SecretValue("SecureString", null, value, null);

        /// <summary>A lone string: not a provider credential, but a PFX's password or its bytes in Base64.</summary>
        public static SecretValue FromText(string value) => new SecretValue("String", null, null, null, text: value);

        /// <summary>A byte array (a PFX): not a provider credential.</summary>
        public static SecretValue FromBytes(byte[] value) => new SecretValue("byte array", null, null, null, bytes: value);

        /// <summary>Any other kind of secret: never usable.</summary>
        public static SecretValue Other(string shape) => new SecretValue(shape, null, null, null);

        public byte[]? Bytes { get; }

        public string? Text { get; }
    }
}
