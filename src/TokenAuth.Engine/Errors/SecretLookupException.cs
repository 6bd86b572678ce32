using System;

namespace TokenAuth.Errors
{
    /// <summary>Why a secret could not be read.</summary>
    public enum SecretFailure
    {
        ModuleMissing,
        VaultNotFound,
        VaultLocked,
        SecretNotFound,
        VaultFailed,
        WrongShape,
    }

    /// <summary>A secret that could not be read from a vault, or not used as it was stored.</summary>
    public sealed class SecretLookupException : TokenAuthException
    {
        public SecretLookupException(SecretFailure failure, string? provider, string message, Exception? inner = null)
            : base(message, provider, inner)
        {
            Failure = failure;
        }

        public SecretFailure Failure { get; }

        public override string ErrorId => Failure switch
        {
            SecretFailure.ModuleMissing => "SecretManagementNotInstalled",
            SecretFailure.VaultNotFound => "SecretVaultNotFound",
            SecretFailure.VaultLocked => "SecretVaultLocked",
            SecretFailure.SecretNotFound => "SecretNotFound",
            SecretFailure.WrongShape => "SecretWrongShape",
            _ => "SecretVaultFailed",
        };
    }
}
