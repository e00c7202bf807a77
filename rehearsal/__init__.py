"""The AWS rehearsal: the AWS path of Lakegate, end to end, on one machine.

An entry point, outside the core: it builds an emulated account (a moto server with
IAM enforcement on) from the definitions Terraform deploys, runs the Glue entry
scripts as Glue runs them, and drives the state machine, the CLI's `--env` commands
and the promoter under each role's own policy. `make rehearse`; docs/rehearsal.md.
"""
