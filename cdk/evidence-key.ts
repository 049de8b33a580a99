import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { EVIDENCE_KMS_KEY_VARIABLE } from '../lib/evidence/signer.js';
import { outputKeyOf } from '../lib/cli/stack-target.js';

/**
 * The key that signs the auditors' evidence manifests (lib/evidence/signer.ts): an asymmetric KMS
 * key, so its private half never leaves KMS and anyone holding the public half can check an export
 * offline. Nothing in the stack signs; people do, through `npx lifecycle evidence export --stack`,
 * so access is two managed policies to attach: one to sign (who exports), one to verify (auditors).
 */
export class EvidenceKey extends Construct {
  readonly key: Key;
  readonly signers: ManagedPolicy;
  readonly verifiers: ManagedPolicy;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new Key(this, 'SigningKey', {
      description: 'Signs evidence exports of the HR → Bitwarden lifecycle (npx lifecycle evidence export); verify with npx lifecycle evidence verify',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // Exports signed years ago must still verify: the key outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.signers = new ManagedPolicy(this, 'Signers', {
      description: 'Sign evidence exports with the evidence key (attach to whoever runs npx lifecycle evidence export)',
      statements: [new PolicyStatement({ actions: ['kms:Sign', 'kms:GetPublicKey'], resources: [this.key.keyArn] })],
    });
    this.verifiers = new ManagedPolicy(this, 'Verifiers', {
      description: 'Verify evidence exports with the evidence key (attach to auditors running npx lifecycle evidence verify)',
      statements: [new PolicyStatement({ actions: ['kms:Verify', 'kms:GetPublicKey'], resources: [this.key.keyArn] })],
    });
    // Top-level output names, as the CLI reads them (lib/cli/stack-target.ts).
    const output = (name: string, value: string, description: string) => new CfnOutput(this, name, { value, description }).overrideLogicalId(name);
    output(outputKeyOf(EVIDENCE_KMS_KEY_VARIABLE), this.key.keyArn, 'The KMS key that signs evidence exports');
    output('EvidenceSignersPolicy', this.signers.managedPolicyArn, 'Attach to whoever exports evidence (kms:Sign)');
    output('EvidenceVerifiersPolicy', this.verifiers.managedPolicyArn, 'Attach to auditors who verify evidence (kms:Verify, kms:GetPublicKey)');
  }
}
