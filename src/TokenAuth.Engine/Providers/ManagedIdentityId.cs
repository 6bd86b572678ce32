using System;
using TokenAuth.Http;

namespace TokenAuth.Providers
{
    /// <summary>How a user-assigned identity is named.</summary>
    public enum ManagedIdentityIdKind
    {
        ClientId,
        ObjectId,
        ResourceId,
    }

    /// <summary>A user-assigned managed identity: its client id (a GUID), ObjectId:GUID, or its Azure resource id (/subscriptions/...).</summary>
    public sealed class ManagedIdentityId
    {
        public const string Syntax = "a client id (GUID), ObjectId:GUID, or a resource id (/subscriptions/...)";

        private ManagedIdentityId(ManagedIdentityIdKind kind, string value)
        {
            Kind = kind;
            Value = value;
        }

        public ManagedIdentityIdKind Kind { get; }

        public string Value { get; }

        /// <exception cref="ArgumentException">Not one of <see cref="Syntax"/>.</exception>
        public static ManagedIdentityId Parse(string text)
        {
            var trimmed = (text ?? "").Trim();
            if (Guid.TryParse(trimmed, out _))
            {
                return new ManagedIdentityId(ManagedIdentityIdKind.ClientId, trimmed);
            }

            const string objectPrefix = "ObjectId:";
            if (trimmed.StartsWith(objectPrefix, StringComparison.OrdinalIgnoreCase) && Guid.TryParse(trimmed.Substring(objectPrefix.Length), out _))
            {
                return new ManagedIdentityId(ManagedIdentityIdKind.ObjectId, trimmed.Substring(objectPrefix.Length));
            }

            if (trimmed.StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase) && trimmed.Length < 1024 && !HeaderValues.HasControlCharacter(trimmed)
                && trimmed.IndexOfAny(new[] { '?', '#', ' ' }) < 0)
            {
                return new ManagedIdentityId(ManagedIdentityIdKind.ResourceId, trimmed);
            }

            throw new ArgumentException($"A user-assigned managed identity is named by {Syntax}.");
        }

        public override string ToString() => Kind switch
        {
            ManagedIdentityIdKind.ClientId => Value,
            ManagedIdentityIdKind.ObjectId => "ObjectId:" + Value,
            _ => Value,
        };
    }
}
