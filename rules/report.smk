# Report figures, tables and statistics: every one computed from results/, data/ and models/
# by a rule made here from its entry in imbench.plan.reports.REPORT_RULES (its outputs with
# their captions in report/, its inputs and params, the job function scripts/report.py
# runs). Which targets a grid gets comes from REPORTS (built in common.smk); docs/reports.md
# lists them. Snakemake report layout: category = kind of figure, subcategory = dataset,
# labels = the imbalance protocol, augmenter, classifier and seed where they apply.


for _report_rule in REPORTS.rules:

    rule:
        name:
            _report_rule.name
        input:
            unpack(REPORTS.input_function(_report_rule)),
        output:
            **REPORTS.snakemake_outputs(_report_rule, report, directory),
        log:
            layout.log(_report_rule.name, _report_rule.key),
        benchmark:
            layout.benchmark(_report_rule.name, _report_rule.key)
        wildcard_constraints:
            **REPORTS.constraints(_report_rule),
        localrule: _report_rule.local
        conda:
            "../envs/imbench.yaml"
        threads: 1
        params:
            make=_report_rule.make,
            args=REPORTS.params_function(_report_rule),
        script:
            "../scripts/report.py"
